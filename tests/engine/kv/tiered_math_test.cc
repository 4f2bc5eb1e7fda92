// The CUDA tiers' shared math (kernels/cuda/tiered_math.h) against the CPU
// tiered cache's own code: the device selects the same units from the same
// bytes only if each piece matches bit for bit (or, for the cold codec on
// an SSE2-only host, within one rounding).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/kv/tiered/cold_codec.h"
#include "engine/kv/tiered/envelope.h"
#include "engine/kv/tiered/rope_table.h"
#include "engine/quant/cpu_features.h"
#include "engine/quant/fp16.h"
#include "kernels/cuda/tiered_math.h"

namespace km = kernels::tiered;
using namespace engine::kv;

namespace {

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::vector<float> Gaussian(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = dist(rng) * scale * (i % 3 == 0 ? 8.0f : 1.0f) + 0.25f * (i % 5);
  return x;
}

km::ColdGeometry GeometryOf(const ColdLayout& l) {
  km::ColdGeometry g;
  g.tokens = l.tokens;
  g.head_dim = l.head_dim;
  g.bits = l.bits;
  g.v_group = l.v_group;
  g.k_bytes = static_cast<int64_t>(l.k_bytes);
  g.head_bytes = static_cast<int64_t>(l.head_bytes());
  return g;
}

}  // namespace

TEST_CASE("tiered math: fp16 conversions equal the host's", "[kv][tiered_math]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float a = engine::F16ToF32(static_cast<uint16_t>(h)), b = km::HalfToFloat(static_cast<uint16_t>(h));
    REQUIRE(Bits(a) == Bits(b));
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000000; ++i) {
    const float f = km::BitsFloat(static_cast<uint32_t>(rng()));
    REQUIRE(engine::F32ToF16(f) == km::FloatToHalf(f));
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65520.0f, 65519.99f, 6e-8f, -3e-8f, INFINITY, -INFINITY, NAN}) {
    REQUIRE(engine::F32ToF16(f) == km::FloatToHalf(f));
  }
}

TEST_CASE("tiered math: cold rows decode as DecodeColdRows", "[kv][tiered_math]") {
  // The device dequantizes with fmaf, as the AVX2 path; the scalar path
  // rounds the product first.
  const bool fused = engine::BestKernelLevel() >= engine::KernelLevel::kAvx2;
  for (int bits : {4, 16}) {
    for (int d : {8, 32, 64, 128}) {
      const int T = 32;
      const ColdLayout l = ColdLayout::For(T, d, bits);
      const std::vector<float> k = Gaussian(static_cast<size_t>(T) * d, 11 + d), v = Gaussian(static_cast<size_t>(T) * d, 5 + d, 0.5f);
      std::vector<uint8_t> payload(l.head_bytes());
      EncodeColdHead(l, k.data(), v.data(), payload.data());
      std::vector<float> kd(static_cast<size_t>(T) * d), vd(static_cast<size_t>(T) * d);
      DecodeColdRows(l, payload.data(), 0, T, kd.data(), vd.data());
      const km::ColdGeometry g = GeometryOf(l);
      for (int r = 0; r < T; ++r) {
        for (int c = 0; c < d; ++c) {
          const float ka = km::ColdK(g, payload.data(), r, c), va = km::ColdV(g, payload.data(), r, c);
          const float kb = kd[static_cast<size_t>(r) * d + c], vb = vd[static_cast<size_t>(r) * d + c];
          if (fused || bits == 16) {
            REQUIRE(Bits(ka) == Bits(kb));
            REQUIRE(Bits(va) == Bits(vb));
          } else {
            REQUIRE(std::fabs(ka - kb) <= 1e-6f * (1.0f + std::fabs(kb)));
            REQUIRE(std::fabs(va - vb) <= 1e-6f * (1.0f + std::fabs(vb)));
          }
        }
      }
    }
  }
}

TEST_CASE("tiered math: query codes and unit bounds equal the CPU index", "[kv][tiered_math]") {
  for (int bits : {4, 8}) {
    for (int d : {6, 8, 10, 32, 128, 256}) {
      const int unit = 4, n_units = 64;
      const std::vector<float> keys = Gaussian(static_cast<size_t>(unit) * n_units * d, 3 + d);
      const int eb = EnvBytes(d, bits);
      std::vector<int8_t> env(static_cast<size_t>(n_units) * eb);
      std::vector<UnitMeta> meta(n_units);
      for (int u = 0; u < n_units; ++u) {
        BuildEnvelope(&keys[static_cast<size_t>(u) * unit * d], unit, d, bits, &env[static_cast<size_t>(u) * eb], &meta[u]);
      }
      for (int qi = 0; qi < 8; ++qi) {
        std::vector<float> q = Gaussian(d, 100 + qi, qi == 7 ? 0.0f : 1.0f);
        if (qi == 6) q[1] = NAN;
        QuantQuery ref;
        QuantizeQuery(q.data(), d, &ref);
        // The device's QuantizeQuery: amax, step, codes, their sum.
        float amax = 0.0f;
        for (int c = 0; c < d; ++c) amax = std::max(amax, std::fabs(q[c]));
        const float step = km::QueryStep(amax);
        REQUIRE(Bits(step) == Bits(ref.step));
        std::vector<uint8_t> codes(2 * static_cast<size_t>(d));
        int qsum = 0;
        for (int c = 0; c < d; ++c) {
          const int code = km::QueryCode(q[c], 1.0f / step);
          codes[c] = static_cast<uint8_t>(code > 0 ? code : 0);
          codes[d + c] = static_cast<uint8_t>(code < 0 ? -code : 0);
          qsum += std::abs(code);
        }
        for (int i = 0; i < 2 * d; ++i) REQUIRE(codes[i] == ref.v[i]);
        std::vector<float> out(n_units);
        ScoreUnits({&ref, 1, env.data(), meta.data(), n_units, d, bits, out.data()});
        for (int u = 0; u < n_units; ++u) {
          uint32_t word;
          std::memcpy(&word, &meta[u], 4);
          const int dot = km::EnvDot(codes.data(), qsum, &env[static_cast<size_t>(u) * eb], d, bits);
          const float bound = km::MulRn(km::UnitScale(word), km::QueryBound(step, dot, word));
          REQUIRE(Bits(bound) == Bits(out[u]));
          REQUIRE(Bits(bound) == Bits(EnvelopeBoundQuantized(ref, &env[static_cast<size_t>(u) * eb], meta[u], d, bits)));
        }
      }
    }
  }
}

TEST_CASE("tiered math: RoPE re-rotation equals RopeTable", "[kv][tiered_math]") {
  for (engine::RopeStyle style : {engine::RopeStyle::kAdjacent, engine::RopeStyle::kHalves}) {
    for (int n_rot : {32, 16}) {
      const int d = 32;
      engine::KvRope rope;
      rope.n_rot = n_rot;
      rope.freq_base = 500000.0f;
      rope.style = style;
      RopeTable table;
      table.Init(d, rope);
      std::vector<float> digits;
      for (int k = 0; k < 3; ++k) digits.insert(digits.end(), table.digit_table(k).begin(), table.digit_table(k).end());
      km::RopeView view;
      view.digits = digits.data();
      view.freq = table.freq().data();
      view.n_rot_half = table.n_rot_half();
      view.half = d / 2;
      view.adjacent = style == engine::RopeStyle::kAdjacent;
      for (int64_t pos : {int64_t{0}, int64_t{1}, int64_t{1023}, int64_t{1024}, int64_t{777777}, int64_t{(1 << 30) - 1},
                          int64_t{1} << 30, int64_t{3} << 31}) {
        for (int run = 1; run <= 5; ++run) {
          const std::vector<float> x = Gaussian(static_cast<size_t>(run) * d, static_cast<uint32_t>(pos % 1000 + run));
          std::vector<float> ref = x;
          table.RotateRun(pos, run, ref.data());
          for (int r = 0; r < run; ++r) {
            std::vector<float> y(x.begin() + r * d, x.begin() + (r + 1) * d);
            for (int i = 0; i < d / 2; ++i) {
              float* a = &y[km::PairA(view, i)];
              float* b = &y[km::PairB(view, i)];
              if (i < view.n_rot_half) {
                float c, s;
                km::PairAngle(view, pos + r, i, &c, &s);
                km::RotatePair(c, s, a, b);
              }
            }
            for (int c = 0; c < d; ++c) REQUIRE(Bits(y[c]) == Bits(ref[static_cast<size_t>(r) * d + c]));
          }
        }
      }
    }
  }
}

TEST_CASE("tiered math: selection keys order as the CPU's comparator", "[kv][tiered_math]") {
  // Higher score first; ties to the later unit; NaN is -inf; -0 == +0.
  const float values[] = {-INFINITY, -1.5f, -0.0f, 0.0f, 1e-30f, 2.0f, INFINITY, NAN};
  for (float a : values) {
    for (float b : values) {
      for (int ua : {3, 9}) {
        for (int ub : {3, 9}) {
          if (ua == ub) continue;
          const float sa = a == a ? a : -INFINITY, sb = b == b ? b : -INFINITY;
          const bool higher = sa > sb || (sa == sb && ua > ub);
          REQUIRE((km::SelectKey(a, ua) > km::SelectKey(b, ub)) == higher);
        }
      }
    }
  }
  int64_t lo, hi;
  km::FarRows(5, 4, 22, 23, &lo, &hi);
  REQUIRE((lo == 22 && hi == 23));
  km::FarRows(2, 4, 22, 100, &lo, &hi);
  REQUIRE(lo == hi);
}
