// Hashes: XXH3 for content addressing and fingerprints, CRC32C for
// on-disk integrity checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace base {

// 64-bit XXH3 of the bytes.
uint64_t Hash64(const void* data, size_t n, uint64_t seed = 0);
inline uint64_t Hash64(std::string_view s, uint64_t seed = 0) { return Hash64(s.data(), s.size(), seed); }

// 128-bit XXH3, for content keys where collisions must be negligible.
struct Hash128Value {
  uint64_t low = 0;
  uint64_t high = 0;
  bool operator==(const Hash128Value&) const = default;
  std::string ToHex() const;  // 32 lowercase hex digits, high word first
};
Hash128Value Hash128(const void* data, size_t n, uint64_t seed = 0);

// Incremental 128-bit hashing of a byte stream.
class Hasher128 {
 public:
  Hasher128();
  ~Hasher128();
  Hasher128(const Hasher128&) = delete;
  Hasher128& operator=(const Hasher128&) = delete;
  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Hash128Value Digest() const;

 private:
  void* state_;  // XXH3_state_t, kept out of this header
};

// CRC32C (Castagnoli), as used by iSCSI, ext4 and LevelDB. Uses the SSE4.2
// instruction when the CPU has it.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace base
