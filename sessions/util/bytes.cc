#include "sessions/util/bytes.h"

#include <cstdio>
#include <random>

namespace sessions::util {

std::string RandomHex(int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  out.reserve(static_cast<size_t>(n));
  uint32_t bits = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 8 == 0) bits = rd();
    out.push_back(kDigits[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

}  // namespace sessions::util
