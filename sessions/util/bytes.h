// Little helpers shared by the store's files: little-endian integers and
// random names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sessions::util {

inline void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint32_t GetU32(std::string_view bytes, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + i])) << (8 * i);
  return v;
}

inline void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v));
  PutU32(out, static_cast<uint32_t>(v >> 32));
}

inline uint64_t GetU64(std::string_view bytes, size_t pos) {
  return GetU32(bytes, pos) | (static_cast<uint64_t>(GetU32(bytes, pos + 4)) << 32);
}

// `n` random lowercase hex digits from the OS entropy source. Used for
// session ids and file names, where a collision is only ever an
// AlreadyExists error from a kCreateNew open or a UNIQUE constraint.
std::string RandomHex(int n);

std::string Hex32(uint32_t v);

}  // namespace sessions::util
