// engine/quant against llama.cpp's own outputs in shared/testdata:
// dequantized slices (bit-exact) and the quantized files themselves
// (our quantizers must reproduce llama-quantize's bytes).
#include <catch2/catch.hpp>

#include <sstream>

#include "engine/quant/fp16.h"
#include "tests/engine/quant/quant_test_util.h"
#include "tests/testing.h"

namespace {

using engine::GgmlType;

const char* const kQuantizedModels[] = {
    "tiny-llama-spm-f16",    "tiny-llama-spm-bf16",   "tiny-llama-spm-q8_0",  "tiny-llama-spm-q4_0",
    "tiny-llama-spm-q4_k",   "tiny-llama-spm-q5_k",   "tiny-llama-spm-q6_k",  "tiny-llama-spm-q4_k_m",
    "tiny-llama-spm-q5_k_m", "tiny-llama-bpe-q8_0",   "tiny-llama-bpe-q4_k_m", "tiny-qwen2-q8_0",
    "tiny-qwen2-q4_k_m",     "tiny-qwen3-q8_0",       "tiny-qwen3-q4_k_m",
};

struct Slice {
  std::string tensor, type;
  int64_t row_len, first_row, n_rows, byte_offset;
};

std::vector<Slice> ReadSlices(const std::string& path) {
  std::vector<Slice> out;
  auto text = base::DefaultFileSystem()->ReadFile(path);
  if (!text.ok()) return out;
  std::istringstream in(*text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream f(line);
    Slice s;
    f >> s.tensor >> s.type >> s.row_len >> s.first_row >> s.n_rows >> s.byte_offset;
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("DequantizeRow matches ggml to_float bit-exactly on every reference slice", "[quant][testdata]") {
  REQUIRE_TESTDATA(testdata);
  int slices = 0;
  for (const char* model : kQuantizedModels) {
    INFO(model);
    auto file = quant_test::OpenModel(testdata, model);
    REQUIRE(file != nullptr);
    const std::string dir = testdata + "/refs/" + model;
    const std::vector<Slice> list = ReadSlices(dir + "/dequant.tsv");
    const std::vector<float> ref = quant_test::ReadF32File(dir + "/dequant.f32");
    REQUIRE(!list.empty());
    for (const Slice& s : list) {
      INFO(s.tensor);
      const engine::TensorInfo* t = file->FindTensor(s.tensor);
      REQUIRE(t != nullptr);
      REQUIRE(engine::ParseGgmlType(s.type) == t->type);
      REQUIRE(t->ne[0] == s.row_len);
      const int64_t row_bytes = engine::RowBytes(t->type, t->ne[0]);
      std::vector<float> got(static_cast<size_t>(s.row_len));
      for (int64_t r = 0; r < s.n_rows; ++r) {
        engine::DequantizeRow(t->type, t->data + (s.first_row + r) * row_bytes, got.data(), s.row_len);
        const size_t base = static_cast<size_t>(s.byte_offset / 4 + r * s.row_len);
        REQUIRE(base + got.size() <= ref.size());
        // Bit-exact: compare the representations, not the values.
        REQUIRE(std::memcmp(got.data(), ref.data() + base, got.size() * 4) == 0);
      }
      ++slices;
    }
  }
  CHECK(slices == 146);  // README 5.3: 146 slices in all
}

TEST_CASE("QuantizeRow reproduces llama-quantize's bytes for every type", "[quant][testdata]") {
  REQUIRE_TESTDATA(testdata);
  auto f32 = quant_test::OpenModel(testdata, "tiny-llama-spm-f32");
  REQUIRE(f32 != nullptr);
  // The pure files: every 2-D tensor has the file's type, made without an
  // importance matrix from the F32 file.
  const std::pair<const char*, GgmlType> files[] = {
      {"tiny-llama-spm-f16", GgmlType::kF16},   {"tiny-llama-spm-bf16", GgmlType::kBF16},
      {"tiny-llama-spm-q8_0", GgmlType::kQ8_0}, {"tiny-llama-spm-q4_0", GgmlType::kQ4_0},
      {"tiny-llama-spm-q4_k", GgmlType::kQ4_K}, {"tiny-llama-spm-q5_k", GgmlType::kQ5_K},
      {"tiny-llama-spm-q6_k", GgmlType::kQ6_K},
  };
  for (const auto& [name, type] : files) {
    INFO(name);
    auto q = quant_test::OpenModel(testdata, name);
    REQUIRE(q != nullptr);
    for (const char* tensor : {"blk.0.attn_q.weight", "blk.1.ffn_down.weight", "output.weight"}) {
      INFO(tensor);
      const engine::TensorInfo* src = f32->FindTensor(tensor);
      const engine::TensorInfo* want = q->FindTensor(tensor);
      REQUIRE(src != nullptr);
      REQUIRE(want != nullptr);
      REQUIRE(want->type == type);
      const int64_t cols = src->ne[0];
      const int64_t row_bytes = engine::RowBytes(type, cols);
      std::vector<uint8_t> got(static_cast<size_t>(row_bytes));
      int64_t mismatched_rows = 0;
      for (int64_t r = 0; r < src->ne[1]; ++r) {
        const auto* row = reinterpret_cast<const float*>(src->data) + r * cols;
        REQUIRE(engine::QuantizeRow(type, row, got.data(), cols).ok());
        if (std::memcmp(got.data(), want->data + r * row_bytes, got.size()) != 0) ++mismatched_rows;
      }
      CHECK(mismatched_rows == 0);
    }
  }
}
