// F16/BF16 conversions: edge cases, and agreement with the F16C
// instructions ggml's CPU backend uses.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "engine/quant/cpu_features.h"
#include "engine/quant/fp16.h"

namespace {

using engine::BF16ToF32;
using engine::F16ToF32;
using engine::F32ToBF16;
using engine::F32ToF16;

float Bits(uint32_t u) { return std::bit_cast<float>(u); }

#if defined(__x86_64__)
__attribute__((target("f16c"))) uint16_t HwF32ToF16(float f) {
  return static_cast<uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), 0), 0));
}
__attribute__((target("f16c"))) float HwF16ToF32(uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
#endif

}  // namespace

TEST_CASE("F16 conversion edge cases", "[quant][fp16]") {
  CHECK(F32ToF16(0.0f) == 0x0000);
  CHECK(F32ToF16(-0.0f) == 0x8000);
  CHECK(F32ToF16(1.0f) == 0x3c00);
  CHECK(F32ToF16(-2.0f) == 0xc000);
  CHECK(F32ToF16(65504.0f) == 0x7bff);  // largest finite
  CHECK(F32ToF16(65519.99f) == 0x7bff);
  CHECK(F32ToF16(65520.0f) == 0x7c00);  // tie between 65504 and 2^16 goes to even: inf
  CHECK(F32ToF16(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(F32ToF16(-std::numeric_limits<float>::infinity()) == 0xfc00);
  CHECK(F32ToF16(1e10f) == 0x7c00);
  const uint16_t nan = F32ToF16(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
  CHECK(std::isnan(F16ToF32(F32ToF16(Bits(0x7f800001u)))));  // signalling NaN stays NaN
  // Subnormals: 2^-24 is the smallest, 2^-25 ties to even (0), 3*2^-25 ties up to 2*2^-24.
  CHECK(F32ToF16(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(F32ToF16(std::ldexp(1.0f, -25)) == 0x0000);
  CHECK(F32ToF16(std::ldexp(1.5f, -25)) == 0x0001);
  CHECK(F32ToF16(std::ldexp(3.0f, -25)) == 0x0002);
  CHECK(F32ToF16(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
  CHECK(F32ToF16(std::ldexp(1023.0f, -24)) == 0x03ff);
  CHECK(F32ToF16(std::ldexp(1023.5f, -24)) == 0x0400);  // rounds up into the normals
  CHECK(F16ToF32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(F16ToF32(0x03ff) == std::ldexp(1023.0f, -24));
  // Normal ties: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 -> even (1);
  // 1 + 3*2^-11 is halfway between 1+2^-10 and 1+2^-9 -> even (1+2^-9).
  CHECK(F32ToF16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  CHECK(F32ToF16(1.0f + std::ldexp(3.0f, -11)) == 0x3c02);
  CHECK(F32ToF16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);  // above the tie
}

TEST_CASE("F16 round-trips every half and matches F16C on random floats", "[quant][fp16]") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      REQUIRE((h & 0x7c00) == 0x7c00);
      continue;
    }
    REQUIRE(F32ToF16(f) == h);
  }
#if defined(__x86_64__)
  if (!engine::DetectCpuFeatures().avx2) {
    WARN("SKIPPED: no F16C on this CPU");
    return;
  }
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float a = F16ToF32(static_cast<uint16_t>(h)), b = HwF16ToF32(static_cast<uint16_t>(h));
    REQUIRE(std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b));
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  std::uniform_real_distribution<float> wide(-70000.0f, 70000.0f);
  for (int i = 0; i < 2000000; ++i) {
    // Random bit patterns cover NaN/inf/subnormals; the second source hits the finite range densely.
    const float f = (i & 1) ? Bits(bits(rng)) : std::ldexp(wide(rng), -(i % 40));
    REQUIRE(F32ToF16(f) == HwF32ToF16(f));
  }
#endif
}

TEST_CASE("BF16 conversion: RNE, NaN stays NaN, subnormals kept", "[quant][fp16]") {
  CHECK(F32ToBF16(1.0f) == 0x3f80);
  CHECK(F32ToBF16(-0.0f) == 0x8000);
  CHECK(F32ToBF16(Bits(0x3f808000u)) == 0x3f80);  // tie, even stays
  CHECK(F32ToBF16(Bits(0x3f818000u)) == 0x3f82);  // tie, odd rounds up
  CHECK(F32ToBF16(Bits(0x3f808001u)) == 0x3f81);  // above the tie
  CHECK(F32ToBF16(Bits(0x7f7fffffu)) == 0x7f80);  // FLT_MAX rounds to inf
  CHECK(F32ToBF16(std::numeric_limits<float>::infinity()) == 0x7f80);
  CHECK(F32ToBF16(Bits(0x00018000u)) == 0x0002);  // subnormal tie, odd -> up (not flushed)
  CHECK(F32ToBF16(Bits(0x00010000u)) == 0x0001);
  const uint16_t nan = F32ToBF16(Bits(0x7f800001u));  // payload only in the low bits
  CHECK(std::isnan(BF16ToF32(nan)));
  CHECK((nan & 0x0040) != 0);  // forced quiet
  CHECK(F32ToBF16(Bits(0xffc00000u)) == 0xffc0);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = BF16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    REQUIRE(F32ToBF16(f) == h);
  }
}
