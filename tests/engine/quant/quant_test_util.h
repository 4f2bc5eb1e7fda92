// Helpers shared by the engine/quant tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/filesystem.h"
#include "engine/gguf/gguf.h"
#include "engine/quant/quant.h"
#include "engine/quant/types.h"

namespace quant_test {

inline std::vector<float> RandomFloats(std::mt19937* rng, int64_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(*rng);
  return v;
}

// rows x cols random weights encoded as `type` (row-major, RowBytes stride).
inline std::vector<uint8_t> RandomWeights(std::mt19937* rng, engine::GgmlType type, int64_t rows, int64_t cols) {
  const int64_t row_bytes = engine::RowBytes(type, cols);
  std::vector<uint8_t> out(static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<float> f = RandomFloats(rng, cols, 0.5f);
    const base::Status st = engine::QuantizeRow(type, f.data(), out.data() + r * row_bytes, cols);
    if (!st.ok()) return {};
  }
  return out;
}

inline std::vector<float> DequantizeAll(engine::GgmlType type, const uint8_t* data, int64_t rows, int64_t cols) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  const int64_t row_bytes = engine::RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) engine::DequantizeRow(type, data + r * row_bytes, out.data() + r * cols, cols);
  return out;
}

inline std::unique_ptr<engine::GgufFile> OpenModel(const std::string& testdata, const std::string& name) {
  auto f = engine::GgufFile::Open(base::DefaultFileSystem(), testdata + "/models/" + name + ".gguf");
  if (!f.ok()) return nullptr;
  return std::move(f).value();
}

inline std::vector<float> ReadF32File(const std::string& path) {
  auto bytes = base::DefaultFileSystem()->ReadFile(path);
  if (!bytes.ok()) return {};
  std::vector<float> out(bytes->size() / 4);
  std::memcpy(out.data(), bytes->data(), out.size() * 4);
  return out;
}

inline const engine::GgmlType kComputeTypes[] = {
    engine::GgmlType::kF32,  engine::GgmlType::kF16,  engine::GgmlType::kBF16, engine::GgmlType::kQ8_0,
    engine::GgmlType::kQ4_0, engine::GgmlType::kQ4_K, engine::GgmlType::kQ5_K, engine::GgmlType::kQ6_K,
};

}  // namespace quant_test
