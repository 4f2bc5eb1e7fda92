// kernels/cuda/block_decode.h on the host: its chunk decoders against
// engine::DequantizeRow (bit for bit) and its chunk dot products against a
// float64 reference, on rows quantized by the engine's own quantizers.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/quant/fp16.h"
#include "engine/quant/quant.h"
#include "engine/quant/types.h"
#include "kernels/cuda/block_decode.h"

namespace {

namespace bd = kernels::block_decode;
using engine::GgmlType;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// rows x cols random values (with a per-row scale, and some exact zeros
// and outliers so the quantizers' edge paths run), encoded as `type`.
std::vector<uint8_t> RandomRows(std::mt19937* rng, GgmlType type, int64_t rows, int64_t cols) {
  const int64_t row_bytes = engine::RowBytes(type, cols);
  std::vector<uint8_t> out(static_cast<size_t>(rows * row_bytes));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 63);
  std::vector<float> f(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = std::ldexp(1.0f, static_cast<int>(r % 7) - 3);
    for (float& v : f) {
      const int p = pick(*rng);
      v = p == 0 ? 0.0f : p == 1 ? 8.0f * scale * normal(*rng) : scale * normal(*rng);
    }
    REQUIRE(engine::QuantizeRow(type, f.data(), out.data() + r * row_bytes, cols).ok());
  }
  return out;
}

struct Case {
  GgmlType type;
  std::vector<int64_t> cols;
};

const Case kCases[] = {
    {GgmlType::kF32, {32, 37, 96, 300}},   {GgmlType::kF16, {32, 37, 96, 301}},
    {GgmlType::kBF16, {32, 37, 96, 301}},  {GgmlType::kQ8_0, {32, 96, 480}},
    {GgmlType::kQ4_0, {32, 96, 480}},      {GgmlType::kQ4_K, {256, 768}},
    {GgmlType::kQ5_K, {256, 768}},         {GgmlType::kQ6_K, {256, 768}},
};

template <class F>
void DecodeRow(const uint8_t* row, int64_t cols, float* out) {
  const int64_t full = cols / 32;
  for (int64_t c = 0; c < full; ++c) F::DecodeChunk32(row, c, out + 32 * c);
  if constexpr (F::kBlockValues == 1) {
    for (int64_t i = full * 32; i < cols; ++i) out[i] = F::Value(row, i);
  }
}

// sum over the row's full chunks of DotChunk32, plus the float formats'
// partial last chunk through Value.
template <class F>
float DotRow(const uint8_t* row, int64_t cols, const float* x) {
  const int64_t full = cols / 32;
  float s = 0.0f;
  for (int64_t c = 0; c < full; ++c) s += F::DotChunk32(row, c, x + 32 * c);
  if constexpr (F::kBlockValues == 1) {
    for (int64_t i = full * 32; i < cols; ++i) s += F::Value(row, i) * x[i];
  }
  return s;
}

template <class F>
void CheckFormat(GgmlType type, const std::vector<int64_t>& all_cols) {
  std::mt19937 rng(1234 + static_cast<int>(type));
  for (const int64_t cols : all_cols) {
    INFO(engine::TraitsOf(type).name << " cols " << cols);
    REQUIRE(engine::RowBytes(type, cols) == cols / F::kBlockValues * F::kBlockBytes);
    const int64_t rows = 9;
    const int64_t row_bytes = engine::RowBytes(type, cols);
    const std::vector<uint8_t> w = RandomRows(&rng, type, rows, cols);
    std::vector<float> want(static_cast<size_t>(cols)), got(static_cast<size_t>(cols));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(cols));
    for (float& v : x) v = normal(rng);
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* row = w.data() + r * row_bytes;
      engine::DequantizeRow(type, row, want.data(), cols);
      std::fill(got.begin(), got.end(), std::nanf(""));
      DecodeRow<F>(row, cols, got.data());
      int64_t mismatches = 0, first = -1;
      for (int64_t i = 0; i < cols; ++i) {
        if (Bits(got[i]) != Bits(want[i])) {
          if (first < 0) first = i;
          ++mismatches;
        }
      }
      INFO("row " << r << " first mismatch at " << first << ": " << (first >= 0 ? got[first] : 0.0f) << " vs "
                  << (first >= 0 ? want[first] : 0.0f));
      CHECK(mismatches == 0);

      // Dot products: float accumulation of a few hundred terms against
      // float64 over the exact dequantized values; relative to sum |w x|
      // since the sum itself can cancel.
      double ref = 0.0, mag = 0.0;
      for (int64_t i = 0; i < cols; ++i) {
        ref += static_cast<double>(want[i]) * x[i];
        mag += std::fabs(static_cast<double>(want[i]) * x[i]);
      }
      const double dot = DotRow<F>(row, cols, x.data());
      CHECK(std::fabs(dot - ref) <= 2e-6 * mag + 1e-30);
    }
  }
}

}  // namespace

TEST_CASE("block_decode fp16 and bf16 match the engine's conversions", "[quant][block_decode]") {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const uint32_t want16 = Bits(engine::F16ToF32(static_cast<uint16_t>(h)));
    const uint32_t got16 = Bits(bd::HalfToFloat(h));
    if (want16 != got16) FAIL_CHECK("f16 " << h << ": " << got16 << " vs " << want16);
    const uint32_t want_bf = Bits(engine::BF16ToF32(static_cast<uint16_t>(h)));
    const uint32_t got_bf = Bits(bd::Bf16ToFloat(h));
    if (want_bf != got_bf) FAIL_CHECK("bf16 " << h << ": " << got_bf << " vs " << want_bf);
  }
}

TEST_CASE("block_decode small-integer conversions are exact", "[quant][block_decode]") {
  for (uint32_t q = 0; q < 256; ++q) {
    CHECK(bd::SmallUintToFloat(q) == static_cast<float>(q));
    CHECK(bd::Int8ToFloat(q) == static_cast<float>(static_cast<int8_t>(q)));
  }
  CHECK(bd::SmallUintToFloat((1u << 23) - 1) == 8388607.0f);
}

TEST_CASE("block_decode chunks equal DequantizeRow for every type", "[quant][block_decode]") {
  for (const Case& c : kCases) {
    switch (c.type) {
      case GgmlType::kF32: CheckFormat<bd::F32Format>(c.type, c.cols); break;
      case GgmlType::kF16: CheckFormat<bd::F16Format>(c.type, c.cols); break;
      case GgmlType::kBF16: CheckFormat<bd::BF16Format>(c.type, c.cols); break;
      case GgmlType::kQ8_0: CheckFormat<bd::Q8_0Format>(c.type, c.cols); break;
      case GgmlType::kQ4_0: CheckFormat<bd::Q4_0Format>(c.type, c.cols); break;
      case GgmlType::kQ4_K: CheckFormat<bd::Q4_KFormat>(c.type, c.cols); break;
      case GgmlType::kQ5_K: CheckFormat<bd::Q5_KFormat>(c.type, c.cols); break;
      case GgmlType::kQ6_K: CheckFormat<bd::Q6_KFormat>(c.type, c.cols); break;
      default: FAIL("no format for type"); break;
    }
  }
}

// Every byte of a block matters: a decoder that skipped or misplaced part
// of the layout would leave some flipped byte with no effect.
TEST_CASE("block_decode reads every byte of a block", "[quant][block_decode]") {
  std::mt19937 rng(99);
  auto check = [&](auto format, GgmlType type) {
    using F = decltype(format);
    const int64_t cols = F::kBlockValues == 1 ? 32 : F::kBlockValues;
    std::vector<uint8_t> w = RandomRows(&rng, type, 1, cols);
    std::vector<float> base(static_cast<size_t>(cols)), now(static_cast<size_t>(cols)), want(static_cast<size_t>(cols));
    DecodeRow<F>(w.data(), cols, base.data());
    for (size_t byte = 0; byte < w.size(); ++byte) {
      w[byte] ^= 0x11;  // touches a low and a high nibble
      DecodeRow<F>(w.data(), cols, now.data());
      engine::DequantizeRow(type, w.data(), want.data(), cols);
      bool changed = false, equal = true;
      for (int64_t i = 0; i < cols; ++i) {
        changed |= Bits(now[i]) != Bits(base[i]);
        equal &= Bits(now[i]) == Bits(want[i]);
      }
      INFO(engine::TraitsOf(type).name << " byte " << byte);
      CHECK(equal);
      // A flip of the K-quant mins can be invisible only if the sub-block
      // scale it pairs with multiplies zeros; the random data has none.
      CHECK(changed);
      w[byte] ^= 0x11;
    }
  };
  check(bd::Q8_0Format{}, GgmlType::kQ8_0);
  check(bd::Q4_0Format{}, GgmlType::kQ4_0);
  check(bd::Q4_KFormat{}, GgmlType::kQ4_K);
  check(bd::Q5_KFormat{}, GgmlType::kQ5_K);
  check(bd::Q6_KFormat{}, GgmlType::kQ6_K);
  check(bd::F16Format{}, GgmlType::kF16);
  check(bd::BF16Format{}, GgmlType::kBF16);
}
