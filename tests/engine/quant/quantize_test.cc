// QuantizeRow -> DequantizeRow round trips: error bounds per type, exact
// cases, and rejected input.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "tests/engine/quant/quant_test_util.h"

namespace {

using engine::GgmlType;

double Rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s / double(v.size()));
}

}  // namespace

TEST_CASE("Quantize/dequantize round trip stays within each type's error bound", "[quant]") {
  // Relative RMS error bounds for N(0,1) data. The RMS error is about
  // step/sqrt(12) (Q8_0: amax/127/sqrt(12) ~ 0.005); ggml's quantizers
  // achieve 2.1e-4, 1.6e-3, 5.4e-3, 1.8e-2, 3.6e-2, 7.1e-2, 8.6e-2 here.
  const std::pair<GgmlType, double> bounds[] = {
      {GgmlType::kF16, 3e-4},    {GgmlType::kBF16, 2.5e-3}, {GgmlType::kQ8_0, 7e-3}, {GgmlType::kQ6_K, 2.5e-2},
      {GgmlType::kQ5_K, 4.5e-2}, {GgmlType::kQ4_K, 9e-2},   {GgmlType::kQ4_0, 1.1e-1},
  };
  std::mt19937 rng(123);
  const int64_t n = 256 * 16;
  const std::vector<float> x = quant_test::RandomFloats(&rng, n);
  double previous = 0;
  for (const auto& [type, bound] : bounds) {
    INFO(engine::TraitsOf(type).name);
    std::vector<uint8_t> q(static_cast<size_t>(engine::RowBytes(type, n)));
    REQUIRE(engine::QuantizeRow(type, x.data(), q.data(), n).ok());
    std::vector<float> y(static_cast<size_t>(n));
    engine::DequantizeRow(type, q.data(), y.data(), n);
    std::vector<float> err(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) err[i] = y[i] - x[i];
    const double rel = Rms(err) / Rms(x);
    CAPTURE(rel);
    CHECK(rel < bound);
    CHECK(rel > previous);  // coarser formats really are coarser (catches a no-op "quantizer")
    previous = rel;
  }
}

TEST_CASE("Round trip is exact where the format can represent the input", "[quant]") {
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = float((i % 15) - 7);  // integers in -7..7, amax 7
  // (Q6_K's weighted scale search does not land on the exact grid.)
  for (GgmlType t : {GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0}) {
    INFO(engine::TraitsOf(t).name);
    std::vector<uint8_t> q(static_cast<size_t>(engine::RowBytes(t, 256)));
    REQUIRE(engine::QuantizeRow(t, x.data(), q.data(), 256).ok());
    std::vector<float> y(256);
    engine::DequantizeRow(t, q.data(), y.data(), 256);
    for (int i = 0; i < 256; ++i) CHECK(y[i] == Approx(x[i]).margin(0.03));
  }
  // Zero blocks stay exactly zero in every format.
  std::vector<float> zeros(256, 0.0f);
  for (GgmlType t : quant_test::kComputeTypes) {
    std::vector<uint8_t> q(static_cast<size_t>(engine::RowBytes(t, 256)), 0xAB);
    REQUIRE(engine::QuantizeRow(t, zeros.data(), q.data(), 256).ok());
    std::vector<float> y(256, 1.0f);
    engine::DequantizeRow(t, q.data(), y.data(), 256);
    for (float v : y) CHECK(v == 0.0f);
  }
}

TEST_CASE("QuantizeRow rejects bad sizes, non-finite input and unsupported types", "[quant]") {
  std::vector<float> x(256, 1.0f);
  std::vector<uint8_t> q(1024);
  CHECK(engine::QuantizeRow(GgmlType::kQ4_K, x.data(), q.data(), 255).code() == base::StatusCode::kInvalidArgument);
  CHECK(engine::QuantizeRow(GgmlType::kQ8_0, x.data(), q.data(), 48).code() == base::StatusCode::kInvalidArgument);
  CHECK(engine::QuantizeRow(GgmlType::kQ2_K, x.data(), q.data(), 256).code() == base::StatusCode::kUnsupported);
  x[17] = std::numeric_limits<float>::quiet_NaN();
  CHECK(engine::QuantizeRow(GgmlType::kQ4_0, x.data(), q.data(), 256).code() == base::StatusCode::kInvalidArgument);
  x[17] = std::numeric_limits<float>::infinity();
  CHECK(engine::QuantizeRow(GgmlType::kQ6_K, x.data(), q.data(), 256).code() == base::StatusCode::kInvalidArgument);
  // F16/BF16 carry inf and NaN through.
  REQUIRE(engine::QuantizeRow(GgmlType::kF16, x.data(), q.data(), 256).ok());
  std::vector<float> y(256);
  engine::DequantizeRow(GgmlType::kF16, q.data(), y.data(), 256);
  CHECK(std::isinf(y[17]));
}

TEST_CASE("Quantizers survive extreme but finite input", "[quant]") {
  // Subnormal blocks make ggml's 1/d overflow; the result must still be defined.
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = std::ldexp(float(i % 7) - 3.0f, -140);
  for (GgmlType t : quant_test::kComputeTypes) {
    std::vector<uint8_t> q(static_cast<size_t>(engine::RowBytes(t, 256)));
    REQUIRE(engine::QuantizeRow(t, x.data(), q.data(), 256).ok());
    std::vector<float> y(256);
    engine::DequantizeRow(t, q.data(), y.data(), 256);
    for (float v : y) CHECK(std::isfinite(v));
  }
}
