#include "base/hash.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

TEST_CASE("CRC32C matches the published check values", "[base][hash]") {
  // RFC 3720 / iSCSI check value for "123456789".
  CHECK(base::Crc32c("123456789", 9) == 0xE3069283u);
  std::string zeros(32, '\0');
  CHECK(base::Crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  std::string ones(32, '\xff');
  CHECK(base::Crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(base::Crc32c("", 0) == 0u);
}

TEST_CASE("CRC32C can be computed incrementally", "[base][hash]") {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t whole = base::Crc32c(text.data(), text.size());
  for (size_t split = 0; split <= text.size(); ++split) {
    uint32_t part = base::Crc32c(text.data(), split);
    part = base::Crc32c(text.data() + split, text.size() - split, part);
    REQUIRE(part == whole);
  }
}

TEST_CASE("CRC32C of long inputs (interleaved streams) equals the byte-at-a-time value", "[base][hash]") {
  // Pieces under three streams' worth take the single-stream path, so a
  // whole long input must agree with its pieces chained.
  std::string data(100'003, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  for (size_t offset : {0, 1, 7}) {
    for (size_t n : {size_t{12'287}, size_t{12'288}, size_t{12'289}, size_t{40'000}, data.size() - 7}) {
      const char* p = data.data() + offset;
      uint32_t pieces = 0;
      for (size_t at = 0; at < n; at += 1000) pieces = base::Crc32c(p + at, std::min<size_t>(1000, n - at), pieces);
      INFO("offset " << offset << " length " << n);
      CHECK(base::Crc32c(p, n) == pieces);
    }
  }
  const std::string zeros(1 << 20, '\0');
  CHECK(base::Crc32c(zeros.data(), zeros.size()) == 0x14298C12u);
}

TEST_CASE("CRC32C detects a flipped bit", "[base][hash]") {
  std::string block(4096, 'a');
  uint32_t before = base::Crc32c(block.data(), block.size());
  block[1234] ^= 0x10;
  CHECK(base::Crc32c(block.data(), block.size()) != before);
}

TEST_CASE("XXH3 hashes are stable and seed-sensitive", "[base][hash]") {
  // XXH3_64bits of the empty input with seed 0 (xxhash reference value).
  CHECK(base::Hash64("", 0) == 0x2D06800538D394C2ull);
  CHECK(base::Hash64("abc") == base::Hash64(std::string("abc")));
  CHECK(base::Hash64("abc", 1) != base::Hash64("abc", 2));
  CHECK(base::Hash64("abc") != base::Hash64("abd"));
}

TEST_CASE("Incremental 128-bit hash equals the one-shot hash", "[base][hash]") {
  std::string text(10000, 'x');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(i * 31 + 7);
  base::Hasher128 hasher;
  hasher.Update(text.substr(0, 17));
  hasher.Update(text.substr(17, 5000));
  hasher.Update(text.substr(5017));
  base::Hash128Value inc = hasher.Digest();
  CHECK(inc == base::Hash128(text.data(), text.size()));
  CHECK(inc.ToHex().size() == 32);
  CHECK_FALSE(inc == base::Hash128(text.data(), text.size() - 1));
}
