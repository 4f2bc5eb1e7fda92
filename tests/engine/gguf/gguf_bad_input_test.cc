// The GGUF reader on broken files: every error is an error (never a crash
// or a giant allocation), and names the field and the byte offset.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "base/filesystem.h"
#include "engine/gguf/gguf.h"
#include "tests/engine/gguf/gguf_test_util.h"
#include "tests/testing.h"

namespace {

using gguf_test::Bytes;
using gguf_test::ParseBytes;

std::string ErrorOf(const std::string& bytes) {
  auto parsed = ParseBytes(bytes);
  if (parsed.ok()) return "(parsed OK)";
  return parsed.status().ToString();
}

TEST_CASE("Every truncation of a valid file is an error, never a crash", "[gguf][bad]") {
  const std::string full = gguf_test::SmallFile();
  auto whole = ParseBytes(full);
  REQUIRE(whole.ok());
  REQUIRE(full.size() < 1024);
  // Only the zero padding after the last tensor may be cut.
  uint64_t needed = 0;
  for (const engine::TensorInfo& t : (*whole)->tensors()) {
    needed = std::max(needed, (*whole)->data_offset() + t.offset + t.n_bytes);
  }
  REQUIRE(needed < full.size());
  for (size_t n = 0; n < full.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so ASan sees any read past it.
    std::unique_ptr<uint8_t[]> prefix(new uint8_t[n == 0 ? 1 : n]);
    std::memcpy(prefix.get(), full.data(), n);
    auto parsed = engine::GgufFile::Parse(prefix.get(), n);
    INFO("prefix of " << n << " bytes");
    if (n >= needed) {
      CHECK(parsed.ok());
      continue;
    }
    REQUIRE_FALSE(parsed.ok());
    const std::string msg = parsed.status().message();
    CHECK_THAT(msg, Catch::Contains("GGUF field '") && Catch::Contains("' at offset "));
  }
}

TEST_CASE("Bad magic, version 1 and big-endian files are refused by name", "[gguf][bad]") {
  std::string bytes = gguf_test::SmallFile();
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  CHECK_THAT(ErrorOf(bad_magic), Catch::Contains("field 'magic' at offset 0") && Catch::Contains("not a GGUF file"));

  std::string v1 = bytes;
  v1[4] = 1;
  CHECK_THAT(ErrorOf(v1), Catch::Contains("field 'version' at offset 4") && Catch::Contains("version 1"));

  std::string v9 = bytes;
  v9[4] = 9;
  CHECK_THAT(ErrorOf(v9), Catch::Contains("field 'version' at offset 4") && Catch::Contains("unsupported GGUF version 9"));

  // A big-endian writer stores version 3 as 03 00 00 00 read backwards.
  std::string be = bytes;
  be[4] = 0;
  be[7] = 3;
  CHECK_THAT(ErrorOf(be), Catch::Contains("field 'version' at offset 4") && Catch::Contains("big-endian"));
}

TEST_CASE("A tensor whose data lies past the end of the file is refused", "[gguf][bad]") {
  Bytes b;
  b.Header(1, 0);
  const size_t info_at = b.offset();
  b.Tensor("w", 0, 8, 0, 64).PadTo(32).Zeros(64);  // 32 bytes needed at 64, only 64 present
  CHECK_THAT(ErrorOf(b.str()), Catch::Contains("field 'tensor 'w' offset' at offset " + std::to_string(info_at)) &&
                                   Catch::Contains("lies outside the data section"));
  // The same tensor at offset 32 fits exactly.
  Bytes ok;
  ok.Header(1, 0).Tensor("w", 0, 8, 0, 32).PadTo(32).Zeros(64);
  CHECK(ParseBytes(ok.str()).ok());
}

TEST_CASE("Huge counts and lengths fail before any allocation", "[gguf][bad]") {
  const uint64_t huge = ~uint64_t{0} / 2;
  Bytes tensors;
  tensors.Header(huge, 0);
  CHECK_THAT(ErrorOf(tensors.str()), Catch::Contains("field 'tensor_count' at offset 8") &&
                                         Catch::Contains("exceeds the limit of 1048576"));
  Bytes few_bytes;  // a plausible count the remaining bytes cannot hold
  few_bytes.Header(1000, 0).Zeros(64);
  CHECK_THAT(ErrorOf(few_bytes.str()), Catch::Contains("field 'tensor_count' at offset 8") &&
                                           Catch::Contains("count 1000 needs at least 32000 bytes but only 64 remain") &&
                                           Catch::Contains("(file truncated?)"));
  Bytes kvs;
  kvs.Header(0, huge);
  CHECK_THAT(ErrorOf(kvs.str()), Catch::Contains("field 'metadata_kv_count' at offset 16"));

  Bytes key_len;
  key_len.Header(0, 1).U64(huge).Zeros(64);  // key length
  CHECK_THAT(ErrorOf(key_len.str()), Catch::Contains("field 'metadata key #0' at offset 24") &&
                                         Catch::Contains("too large"));

  Bytes str_array;
  str_array.Header(0, 1).Str("tokenizer.ggml.tokens").U32(9).U32(8).U64(1ull << 40);
  CHECK_THAT(ErrorOf(str_array.str()), Catch::Contains("field 'tokenizer.ggml.tokens' at offset 57") &&
                                           Catch::Contains("too large"));
  Bytes str_array2;  // under the element limit but over what the file holds
  str_array2.Header(0, 1).Str("tokenizer.ggml.tokens").U32(9).U32(8).U64(1ull << 20).Zeros(64);
  CHECK_THAT(ErrorOf(str_array2.str()), Catch::Contains("field 'tokenizer.ggml.tokens' at offset 57") &&
                                            Catch::Contains("exceeds the file size"));
  Bytes num_array;
  num_array.Header(0, 1).Str("scores").U32(9).U32(6).U64(1ull << 24).Zeros(16);
  CHECK_THAT(ErrorOf(num_array.str()), Catch::Contains("field 'scores' at offset 42") &&
                                           Catch::Contains("runs past the end of the file"));
  Bytes dims;
  dims.Header(1, 0).Str("w").U32(2).U64(1ull << 39).U64(1ull << 39).U32(0).U64(0);
  CHECK_THAT(ErrorOf(dims.str()), Catch::Contains("field 'tensor 'w' ne' at offset 24") &&
                                      Catch::Contains("element count overflows"));
}

TEST_CASE("Duplicate keys and duplicate tensors are refused", "[gguf][bad]") {
  Bytes keys;
  keys.Header(0, 2).KvU32("a.b", 1);
  const size_t second = keys.offset();
  keys.KvU32("a.b", 2);
  CHECK_THAT(ErrorOf(keys.str()), Catch::Contains("field 'metadata key 'a.b'' at offset " + std::to_string(second)) &&
                                      Catch::Contains("duplicate key"));
  Bytes tensors;
  tensors.Header(2, 0).Tensor("w", 0, 8, 0, 0);
  const size_t dup = tensors.offset();
  tensors.Tensor("w", 0, 8, 0, 32).PadTo(32).Zeros(64);
  CHECK_THAT(ErrorOf(tensors.str()), Catch::Contains("field 'tensor 'w'' at offset " + std::to_string(dup)) &&
                                         Catch::Contains("duplicate tensor name"));
}

TEST_CASE("Unaligned offsets, unknown types and bad shapes are refused", "[gguf][bad]") {
  Bytes unaligned;
  unaligned.Header(1, 0).Tensor("w", 0, 8, 0, 4).PadTo(32).Zeros(64);
  CHECK_THAT(ErrorOf(unaligned.str()), Catch::Contains("field 'tensor 'w' offset' at offset 24") &&
                                           Catch::Contains("offset 4 is not aligned to 32"));
  Bytes unknown;
  unknown.Header(1, 0).Tensor("w", 99, 8, 0, 0).PadTo(32).Zeros(64);
  // name (8 + 1) + n_dims 4 + ne 8 after the 24-byte header: type at 45.
  CHECK_THAT(ErrorOf(unknown.str()), Catch::Contains("field 'tensor 'w' type' at offset 45") &&
                                         Catch::Contains("unknown ggml tensor type id 99"));
  Bytes value_type;
  value_type.Header(0, 1).Str("k").U32(77).U32(0);
  CHECK_THAT(ErrorOf(value_type.str()), Catch::Contains("field 'k' at offset 33") &&
                                            Catch::Contains("unknown value type 77"));
  Bytes n_dims;
  n_dims.Header(1, 0).Str("w").U32(5).Zeros(64);
  CHECK_THAT(ErrorOf(n_dims.str()), Catch::Contains("field 'tensor 'w' n_dims' at offset 24") &&
                                        Catch::Contains("must be 1..4, got 5"));
  Bytes block;
  block.Header(1, 0).Tensor("w", 8, 33, 0, 0).PadTo(32).Zeros(64);  // q8_0 rows must be multiples of 32
  CHECK_THAT(ErrorOf(block.str()), Catch::Contains("field 'tensor 'w' ne[0]' at offset 24") &&
                                       Catch::Contains("not a multiple of the q8_0 block size 32"));
}

TEST_CASE("Wrongly typed metadata is an error naming the key and its offset", "[gguf][bad]") {
  Bytes alignment;
  alignment.Header(0, 1);
  const size_t at = alignment.offset();
  alignment.KvStr("general.alignment", "32");
  CHECK_THAT(ErrorOf(alignment.str()),
             Catch::Contains("field 'general.alignment' at offset " + std::to_string(at)) &&
                 Catch::Contains("must be a uint32 power of two") && Catch::Contains("got string"));
  Bytes not_pow2;
  not_pow2.Header(0, 1).KvU32("general.alignment", 48);
  CHECK_THAT(ErrorOf(not_pow2.str()), Catch::Contains("general.alignment") && Catch::Contains("uint32 48"));

  Bytes arch;
  arch.Header(0, 2).KvU32("general.architecture", 7);
  const size_t count_at = arch.offset();
  arch.KvStr("llama.block_count", "two");
  auto parsed = ParseBytes(arch.str());
  REQUIRE(parsed.ok());  // well-formed GGUF; the types are wrong for a model
  auto name = (*parsed)->GetString("general.architecture");
  REQUIRE_FALSE(name.ok());
  CHECK_THAT(name.status().message(), Catch::Contains("'general.architecture' at offset 24 is uint32, expected string"));
  auto layers = (*parsed)->GetInt("llama.block_count");
  REQUIRE_FALSE(layers.ok());
  CHECK_THAT(layers.status().message(),
             Catch::Contains("'llama.block_count' at offset " + std::to_string(count_at) + " is string"));
}

TEST_CASE("Files found by fuzzing parse to clean errors", "[gguf][bad][fuzz]") {
  const std::string dir = std::string(LONGHAUL_SOURCE_DIR) + "/tests/engine/gguf/regressions";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    auto bytes = base::DefaultFileSystem()->ReadFile(entry.path().string());
    REQUIRE(bytes.ok());
    INFO(entry.path().string());
    auto parsed = ParseBytes(*bytes);
    // Each file is named after the outcome it must have.
    const bool want_ok = entry.path().filename().string().starts_with("ok-");
    CHECK(parsed.ok() == want_ok);
    if (!parsed.ok()) CHECK_THAT(parsed.status().message(), Catch::Contains("at offset"));
    ++n;
  }
  WARN("regression files: " << n);
  CHECK(n >= 20);  // git keeps them; an empty directory would test nothing
}

}  // namespace
