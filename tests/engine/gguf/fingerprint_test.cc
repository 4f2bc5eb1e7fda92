// Model fingerprint: stable for the same model, different for any change
// to what the model computes.
#include <catch2/catch.hpp>

#include "base/thread_pool.h"
#include "engine/gguf/fingerprint.h"
#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"
#include "tests/engine/gguf/gguf_test_util.h"
#include "tests/testing.h"

namespace {

using engine::GgufMetaValue;
using engine::GgufWriter;
using gguf_test::ParseBytes;

std::string FingerprintOf(const std::string& bytes) {
  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());
  auto fp = engine::ModelFingerprintHex(**parsed);
  REQUIRE(fp.ok());
  return *fp;
}

// SmallWriter's content with one metadata key replaced or added.
std::string WithMeta(const std::string& key, GgufMetaValue value) {
  const std::string base = gguf_test::SmallFile();
  auto parsed = ParseBytes(base);
  REQUIRE(parsed.ok());
  GgufWriter w;
  bool replaced = false;
  for (const auto& [k, v] : (*parsed)->metadata()) {
    if (k == key) {
      REQUIRE(w.AddMeta(k, value).ok());
      replaced = true;
    } else {
      REQUIRE(w.AddMeta(k, *GgufMetaValue::FromParsed(v)).ok());
    }
  }
  if (!replaced) REQUIRE(w.AddMeta(key, value).ok());
  for (const engine::TensorInfo& t : (*parsed)->tensors()) {
    engine::GgufTensorToWrite info{t.name, t.type, t.n_dims, {t.ne[0], t.ne[1], t.ne[2], t.ne[3]}};
    REQUIRE(w.AddTensor(info, std::string(reinterpret_cast<const char*>(t.data), t.n_bytes)).ok());
  }
  return w.Serialize();
}

TEST_CASE("The fingerprint is a pure function of the file", "[gguf][fingerprint]") {
  const std::string bytes = gguf_test::SmallFile();
  const std::string fp = FingerprintOf(bytes);
  CHECK(fp.size() == 32);
  CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(FingerprintOf(bytes) == fp);
  CHECK(FingerprintOf(std::string(bytes)) == fp);  // another buffer, same bytes

  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());
  base::ThreadPool pool(3);
  auto pooled = engine::ModelFingerprintHex(**parsed, &pool);
  REQUIRE(pooled.ok());
  CHECK(*pooled == fp);
}

TEST_CASE("Layout, order and free text do not change the fingerprint", "[gguf][fingerprint]") {
  const std::string bytes = gguf_test::SmallFile();
  const std::string fp = FingerprintOf(bytes);
  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());

  // Keys and tensors in reverse order, with another alignment.
  GgufWriter w;
  const auto& meta = (*parsed)->metadata();
  for (auto it = meta.rbegin(); it != meta.rend(); ++it) REQUIRE(w.AddMeta(it->first, *GgufMetaValue::FromParsed(it->second)).ok());
  REQUIRE(w.AddMeta("general.alignment", GgufMetaValue::U32(128)).ok());
  const auto& tensors = (*parsed)->tensors();
  for (auto it = tensors.rbegin(); it != tensors.rend(); ++it) {
    engine::GgufTensorToWrite info{it->name, it->type, it->n_dims, {it->ne[0], it->ne[1], it->ne[2], it->ne[3]}};
    REQUIRE(w.AddTensor(info, std::string_view(reinterpret_cast<const char*>(it->data), it->n_bytes)).ok());
  }
  const std::string shuffled = w.Serialize();
  REQUIRE(shuffled != bytes);
  CHECK(FingerprintOf(shuffled) == fp);

  CHECK(FingerprintOf(WithMeta("general.name", GgufMetaValue::String("renamed"))) == fp);
  CHECK(FingerprintOf(WithMeta("general.license", GgufMetaValue::String("mit"))) == fp);
  CHECK(FingerprintOf(WithMeta("tokenizer.chat_template", GgufMetaValue::String("{{x}}"))) == fp);
  CHECK(FingerprintOf(WithMeta("general.file_type", GgufMetaValue::U32(7))) == fp);
}

TEST_CASE("Any change to hyperparameters, tokenizer or tensors changes the fingerprint", "[gguf][fingerprint]") {
  const std::string fp = FingerprintOf(gguf_test::SmallFile());
  CHECK(FingerprintOf(WithMeta("llama.block_count", GgufMetaValue::U32(2))) != fp);
  CHECK(FingerprintOf(WithMeta("llama.block_count", GgufMetaValue::U64(1))) != fp);  // same number, other type
  CHECK(FingerprintOf(WithMeta("llama.rope.freq_base", GgufMetaValue::F32(10000.5f))) != fp);
  CHECK(FingerprintOf(WithMeta("llama.new_hparam", GgufMetaValue::Bool(true))) != fp);
  CHECK(FingerprintOf(WithMeta("general.architecture", GgufMetaValue::String("qwen2"))) != fp);
  CHECK(FingerprintOf(WithMeta("general.quantization_version", GgufMetaValue::U32(2))) != fp);
  CHECK(FingerprintOf(WithMeta("tokenizer.ggml.tokens", GgufMetaValue::StringArray({"a", "b", "<S>"}))) != fp);
  CHECK(FingerprintOf(WithMeta("tokenizer.ggml.scores", GgufMetaValue::F32Array({0.f, -1.f, -2.5f}))) != fp);
  CHECK(FingerprintOf(WithMeta("tokenizer.ggml.bos_token_id", GgufMetaValue::U32(2))) != fp);
  // String boundaries are part of the encoding: ["ab", ""] is not ["a", "b"].
  const std::string split = FingerprintOf(WithMeta("tokenizer.ggml.merges", GgufMetaValue::StringArray({"a", "b"})));
  const std::string joined = FingerprintOf(WithMeta("tokenizer.ggml.merges", GgufMetaValue::StringArray({"ab", ""})));
  CHECK(split != joined);
}

TEST_CASE("Flipping any tensor byte changes the fingerprint; padding does not", "[gguf][fingerprint]") {
  const std::string bytes = gguf_test::SmallFile();
  const std::string fp = FingerprintOf(bytes);
  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());
  const uint64_t data_offset = (*parsed)->data_offset();
  auto inside_tensor = [&](uint64_t pos) {
    for (const engine::TensorInfo& t : (*parsed)->tensors()) {
      const uint64_t begin = data_offset + t.offset;
      if (pos >= begin && pos < begin + t.n_bytes) return true;
    }
    return false;
  };
  int tensor_bytes = 0;
  int padding_bytes = 0;
  for (uint64_t pos = data_offset; pos < bytes.size(); ++pos) {
    std::string mutated = bytes;
    mutated[pos] = static_cast<char>(mutated[pos] ^ 0x01);
    const bool changes = FingerprintOf(mutated) != fp;
    INFO("byte " << pos);
    if (inside_tensor(pos)) {
      CHECK(changes);
      ++tensor_bytes;
    } else {
      CHECK_FALSE(changes);
      ++padding_bytes;
    }
  }
  CHECK(tensor_bytes == 96 + 68 + 10);
  CHECK(padding_bytes > 0);
}

TEST_CASE("A file without an architecture has no fingerprint", "[gguf][fingerprint]") {
  gguf_test::Bytes b;
  b.Header(0, 1).KvU32("llama.block_count", 1);
  auto parsed = ParseBytes(b.str());
  REQUIRE(parsed.ok());
  auto fp = engine::ModelFingerprint(**parsed);
  REQUIRE_FALSE(fp.ok());
  CHECK_THAT(fp.status().message(), Catch::Contains("general.architecture"));
}

TEST_CASE("Fingerprints of the reference models are pinned", "[gguf][fingerprint][testdata]") {
  REQUIRE_TESTDATA(dir);
  // The reference files never change (their sha256 is in SHA256SUMS), so
  // these values only move if the fingerprint encoding does, which would
  // orphan every recorded session: bump kFingerprintDomain then.
  const std::pair<const char*, const char*> pinned[] = {
      {"models/stories260K.gguf", "a28dba521dea512ab25563bdf5ca7d09"},
      {"models/tiny-qwen3-q4_k_m.gguf", "a1c6f317295a9e39f622000701011724"},
  };
  for (const auto& [file, want] : pinned) {
    auto f = engine::GgufFile::Open(base::DefaultFileSystem(), dir + "/" + file);
    REQUIRE(f.ok());
    auto fp = engine::ModelFingerprintHex(**f);
    REQUIRE(fp.ok());
    CHECK(*fp == want);
  }
}

}  // namespace
