// kernels::MatMul (GEMV for <= kGemvMaxTokens tokens, dequantize + cuBLAS
// above), DequantizeToF16 and GatherRows against the CPU backend, for
// every weight type, on matrices quantized by the engine's quantizers.
//
// Tolerances, relative to mag = sum_c |w[r][c] * x[t][c]| (the sum itself
// may cancel):
//  - GEMV vs a float64 product of the dequantized weights: 2e-5 (fp32
//    accumulation over a few hundred terms, no rounding of w or x).
//  - GEMM vs the same: 1e-2 (activations rounded to bf16, 2^-9 relative,
//    and quantized weights too; F16 weights meet fp16 activations);
//    3e-3 for F32 weights, which stay fp32.
//  - GPU vs engine::MatMul: 2e-2 for non-F32 weights, since the CPU path
//    rounds activations to the weight's dot format (8-bit for quantized
//    types, fp16/bf16 for F16/BF16), and 3e-3 for F32.
// DequantizeToF16 and GatherRows decode exactly as engine::DequantizeRow
// (block_decode.h), so they are compared bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/quant/fp16.h"
#include "engine/quant/matmul.h"
#include "engine/quant/quant.h"
#include "engine/quant/types.h"
#include "kernels/gpu.h"
#include "kernels/ops.h"
#include "tests/gpu/gpu_testing.h"

namespace {

using engine::GgmlType;
using kernels::WeightType;

struct TypePair {
  GgmlType g;
  WeightType k;
};
const TypePair kTypes[] = {
    {GgmlType::kF32, WeightType::kF32},   {GgmlType::kF16, WeightType::kF16},   {GgmlType::kBF16, WeightType::kBF16},
    {GgmlType::kQ8_0, WeightType::kQ8_0}, {GgmlType::kQ4_0, WeightType::kQ4_0}, {GgmlType::kQ4_K, WeightType::kQ4_K},
    {GgmlType::kQ5_K, WeightType::kQ5_K}, {GgmlType::kQ6_K, WeightType::kQ6_K},
};

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// A quantized matrix on the host and the device, with its exact values.
struct Matrix {
  GgmlType g;
  WeightType k;
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> bytes;   // [rows][RowBytes]
  std::vector<float> values;    // [rows][cols], DequantizeRow of bytes
  kernels::DeviceBuffer device;  // bytes
};

Matrix MakeMatrix(kernels::Gpu& gpu, std::mt19937* rng, const TypePair& type, int64_t rows, int64_t cols) {
  Matrix m;
  m.g = type.g;
  m.k = type.k;
  m.rows = rows;
  m.cols = cols;
  const int64_t row_bytes = engine::RowBytes(type.g, cols);
  m.bytes.resize(static_cast<size_t>(rows * row_bytes));
  m.values.resize(static_cast<size_t>(rows * cols));
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<float> f(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : f) v = normal(*rng);
    REQUIRE(engine::QuantizeRow(type.g, f.data(), m.bytes.data() + r * row_bytes, cols).ok());
    engine::DequantizeRow(type.g, m.bytes.data() + r * row_bytes, m.values.data() + r * cols, cols);
  }
  auto buf = gpu.Alloc(m.bytes.size());
  REQUIRE(buf.ok());
  m.device = std::move(*buf);
  REQUIRE(gpu.CopyToDevice(m.device.get(), m.bytes.data(), m.bytes.size()).ok());
  return m;
}

kernels::DeviceMatrix DeviceView(const Matrix& m) {
  kernels::DeviceMatrix d;
  d.type = m.k;
  d.data = m.device.get();
  d.rows = m.rows;
  d.cols = m.cols;
  return d;
}

kernels::DeviceBuffer Upload(kernels::Gpu& gpu, const void* data, size_t bytes) {
  auto buf = gpu.Alloc(bytes);
  REQUIRE(buf.ok());
  REQUIRE(gpu.CopyToDevice(buf->get(), data, bytes).ok());
  return std::move(*buf);
}

void CheckMatMul(kernels::Gpu& gpu, std::mt19937* rng, const Matrix& m, int64_t n_tokens) {
  INFO(engine::TraitsOf(m.g).name << " " << m.rows << " x " << m.cols << ", " << n_tokens << " tokens");
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n_tokens * m.cols));  // [n_tokens][cols]
  for (float& v : x) v = normal(*rng);
  kernels::DeviceBuffer dx = Upload(gpu, x.data(), x.size() * sizeof(float));
  auto dy = gpu.Alloc(static_cast<size_t>(n_tokens * m.rows) * sizeof(float));  // [n_tokens][rows]
  REQUIRE(dy.ok());

  kernels::MatMulArgs args;
  args.w = DeviceView(m);
  args.x = dx.as<float>();
  args.y = dy->as<float>();
  args.n_tokens = n_tokens;
  const base::Status st = kernels::MatMul(gpu, args);
  INFO(st.ToString());
  REQUIRE(st.ok());
  std::vector<float> y(static_cast<size_t>(n_tokens * m.rows));
  REQUIRE(gpu.CopyToHost(y.data(), dy->get(), y.size() * sizeof(float)).ok());

  std::vector<float> cpu(y.size());  // [n_tokens][rows]
  engine::MatmulScratch scratch;
  engine::MatMul(engine::WeightView{m.g, m.bytes.data(), m.rows, m.cols}, x.data(), n_tokens, cpu.data(), nullptr,
                 &scratch);

  const bool gemv = n_tokens <= kernels::kGemvMaxTokens;
  const double tol_ref = gemv ? 2e-5 : m.g == GgmlType::kF32 ? 3e-3 : 1e-2;
  const double tol_cpu = m.g == GgmlType::kF32 ? 3e-3 : 2e-2;
  int64_t bad_ref = 0, bad_cpu = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < m.rows; ++r) {
      double ref = 0.0, mag = 0.0;
      for (int64_t c = 0; c < m.cols; ++c) {
        const double p = static_cast<double>(m.values[r * m.cols + c]) * x[t * m.cols + c];
        ref += p;
        mag += std::fabs(p);
      }
      const double got = y[t * m.rows + r];
      if (!(std::fabs(got - ref) <= tol_ref * mag)) {
        if (bad_ref++ < 3) UNSCOPED_INFO("token " << t << " row " << r << ": gpu " << got << " ref " << ref);
      }
      if (!(std::fabs(got - cpu[t * m.rows + r]) <= tol_cpu * mag)) {
        if (bad_cpu++ < 3) UNSCOPED_INFO("token " << t << " row " << r << ": gpu " << got << " cpu " << cpu[t * m.rows + r]);
      }
    }
  }
  CHECK(bad_ref == 0);
  CHECK(bad_cpu == 0);
}

std::vector<int64_t> ColsFor(GgmlType g) {
  switch (g) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16: return {512, 301};  // 301: a partial chunk, unaligned rows
    default: return {512};
  }
}

}  // namespace

TEST_CASE("GPU MatMul matches the CPU for every weight type", "[gpu][matmul]") {
  LH_REQUIRE_GPU(gpu);
  std::mt19937 rng(7);
  for (const TypePair& type : kTypes) {
    for (const int64_t cols : ColsFor(type.g)) {
      for (const int64_t rows : {int64_t{96}, int64_t{77}}) {  // 77: not a multiple of the rows per block
        const Matrix m = MakeMatrix(*gpu, &rng, type, rows, cols);
        for (const int64_t n : {int64_t{1}, int64_t{3}, int64_t{8}, int64_t{40}}) CheckMatMul(*gpu, &rng, m, n);
      }
    }
  }
}

TEST_CASE("GPU GatherRows equals DequantizeRow bit for bit", "[gpu][matmul]") {
  LH_REQUIRE_GPU(gpu);
  std::mt19937 rng(8);
  for (const TypePair& type : kTypes) {
    for (const int64_t cols : ColsFor(type.g)) {
      INFO(engine::TraitsOf(type.g).name << " cols " << cols);
      const Matrix m = MakeMatrix(*gpu, &rng, type, 37, cols);
      const std::vector<int32_t> ids = {5, 0, 36, 5, 17};
      kernels::DeviceBuffer dids = Upload(*gpu, ids.data(), ids.size() * sizeof(int32_t));
      auto out = gpu->Alloc(ids.size() * static_cast<size_t>(cols) * sizeof(float));  // [n_tokens][cols]
      REQUIRE(out.ok());
      kernels::GatherRowsArgs args;
      args.w = DeviceView(m);
      args.ids = dids.as<int32_t>();
      args.out = out->as<float>();
      args.n_tokens = static_cast<int64_t>(ids.size());
      REQUIRE(kernels::GatherRows(*gpu, args).ok());
      std::vector<float> got(ids.size() * static_cast<size_t>(cols));
      REQUIRE(gpu->CopyToHost(got.data(), out->get(), got.size() * sizeof(float)).ok());
      int64_t mismatches = 0;
      for (size_t t = 0; t < ids.size(); ++t) {
        for (int64_t c = 0; c < cols; ++c) {
          mismatches += Bits(got[t * cols + c]) != Bits(m.values[ids[t] * cols + c]);
        }
      }
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("GPU DequantizeToF16 equals DequantizeRow rounded to fp16", "[gpu][matmul]") {
  LH_REQUIRE_GPU(gpu);
  std::mt19937 rng(9);
  for (const TypePair& type : kTypes) {
    for (const int64_t cols : ColsFor(type.g)) {
      INFO(engine::TraitsOf(type.g).name << " cols " << cols);
      const Matrix m = MakeMatrix(*gpu, &rng, type, 21, cols);
      auto out = gpu->Alloc(static_cast<size_t>(m.rows * cols) * 2);  // [rows][cols] halves
      REQUIRE(out.ok());
      REQUIRE(kernels::DequantizeToF16(*gpu, DeviceView(m), out->get()).ok());
      std::vector<uint16_t> got(static_cast<size_t>(m.rows * cols));
      REQUIRE(gpu->CopyToHost(got.data(), out->get(), got.size() * 2).ok());
      int64_t mismatches = 0;
      for (size_t i = 0; i < got.size(); ++i) mismatches += got[i] != engine::F32ToF16(m.values[i]);
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("GPU MatMul rejects bad arguments", "[gpu][matmul]") {
  LH_REQUIRE_GPU(gpu);
  std::mt19937 rng(10);
  const Matrix m = MakeMatrix(*gpu, &rng, {GgmlType::kQ4_K, WeightType::kQ4_K}, 8, 256);
  auto x = gpu->Alloc(8 * 256 * sizeof(float));
  auto y = gpu->Alloc(8 * 8 * sizeof(float));
  REQUIRE((x.ok() && y.ok()));
  kernels::MatMulArgs args;
  args.w = DeviceView(m);
  args.x = x->as<float>();
  args.y = y->as<float>();
  args.n_tokens = 2;
  CHECK(kernels::MatMul(*gpu, args).ok());

  kernels::MatMulArgs bad = args;
  bad.x = nullptr;
  CHECK(kernels::MatMul(*gpu, bad).code() == base::StatusCode::kInvalidArgument);
  bad = args;
  bad.w.cols = 255;
  CHECK(kernels::MatMul(*gpu, bad).code() == base::StatusCode::kInvalidArgument);
  bad = args;
  bad.w.data = static_cast<const uint8_t*>(m.device.get()) + 2;  // Q4_K rows need 16-byte alignment
  CHECK(kernels::MatMul(*gpu, bad).code() == base::StatusCode::kInvalidArgument);
  bad = args;
  bad.y = const_cast<float*>(args.x) + 1;  // aliases x
  CHECK(kernels::MatMul(*gpu, bad).code() == base::StatusCode::kInvalidArgument);
  bad = args;
  bad.w.type = static_cast<WeightType>(99);
  CHECK(kernels::MatMul(*gpu, bad).code() == base::StatusCode::kInvalidArgument);
  CHECK(gpu->Synchronize().ok());
}

TEST_CASE("kernels::MatMul with accumulate adds W x to y on both paths", "[gpu]") {
  LH_REQUIRE_GPU(gpu);
  std::mt19937 rng(31);
  const Matrix m = MakeMatrix(*gpu, &rng, {GgmlType::kQ8_0, WeightType::kQ8_0}, 64, 256);
  for (const int64_t n_tokens : {int64_t{1}, int64_t{24}}) {  // GEMV, GEMM
    INFO(n_tokens << " tokens");
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n_tokens * m.cols)), y0(static_cast<size_t>(n_tokens * m.rows));
    for (float& v : x) v = normal(rng);
    for (float& v : y0) v = normal(rng);
    kernels::DeviceBuffer dx = Upload(*gpu, x.data(), x.size() * sizeof(float));
    kernels::DeviceBuffer dy = Upload(*gpu, y0.data(), y0.size() * sizeof(float));
    kernels::MatMulArgs args{DeviceView(m), dx.as<float>(), dy.as<float>(), n_tokens, /*accumulate=*/true};
    REQUIRE(kernels::MatMul(*gpu, args).ok());
    std::vector<float> y(y0.size());
    REQUIRE(gpu->CopyToHost(y.data(), dy.get(), y.size() * sizeof(float)).ok());
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t r = 0; r < m.rows; ++r) {
        double ref = y0[static_cast<size_t>(t * m.rows + r)], mag = std::fabs(ref);
        for (int64_t c = 0; c < m.cols; ++c) {
          const double p = static_cast<double>(m.values[static_cast<size_t>(r * m.cols + c)]) * x[static_cast<size_t>(t * m.cols + c)];
          ref += p;
          mag += std::fabs(p);
        }
        CHECK(std::fabs(y[static_cast<size_t>(t * m.rows + r)] - ref) <= 1e-2 * mag);
      }
    }
  }
}
