// The tiered cache's building blocks: cold codec error bounds, envelope
// upper bounds, and table RoPE against the double-precision definition.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kv/tiered/cold_codec.h"
#include "engine/kv/tiered/envelope.h"
#include "engine/kv/tiered/rope_table.h"
#include "engine/quant/cpu_features.h"
#include "tests/engine/kv/kv_testing.h"

using namespace engine::kv;

namespace {

// Keys with outlier channels (every third channel `outlier` times larger)
// and an offset per channel, as post-norm keys have.
std::vector<float> OutlierRows(int rows, int d, float outlier, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows) * d);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < d; ++c) x[r * d + c] = (n(rng) + 0.3f * (c % 5)) * (c % 3 == 1 ? outlier : 1.0f);
  }
  return x;
}

}  // namespace

TEST_CASE("4-bit cold codec stays within half a step of every element", "[kv][codec]") {
  for (int d : {8, 32, 64, 128}) {
    for (float outlier : {1.0f, 20.0f}) {
      INFO("d=" << d << " outlier=" << outlier);
      const ColdLayout layout = ColdLayout::For(32, d, 4);
      CHECK(layout.v_group == (d % 32 == 0 ? 32 : d));
      const std::vector<float> k = OutlierRows(32, d, outlier, 7u + d);
      const std::vector<float> v = OutlierRows(32, d, outlier, 9u + d);
      std::vector<uint8_t> bytes(layout.head_bytes());
      EncodeColdHead(layout, k.data(), v.data(), bytes.data());
      std::vector<float> k2(k.size()), v2(v.size());
      DecodeColdRows(layout, bytes.data(), 0, 32, k2.data(), v2.data());
      double worst_k = 0, worst_v = 0;
      for (int r = 0; r < 32; ++r) {
        for (int c = 0; c < d; ++c) {
          const float ks = ColdKStep(layout, bytes.data(), c);
          const float vs = ColdVStep(layout, bytes.data(), r, c);
          const double ek = std::fabs(k[r * d + c] - k2[r * d + c]);
          const double ev = std::fabs(v[r * d + c] - v2[r * d + c]);
          REQUIRE(ek <= 0.5 * ks * (1 + 1e-4) + 1e-6);
          REQUIRE(ev <= 0.5 * vs * (1 + 1e-4) + 1e-6);
          worst_k = std::max(worst_k, ek);
          worst_v = std::max(worst_v, ev);
        }
      }
      // The steps themselves are tight: range / 15, rounded up to fp16.
      for (int c = 0; c < d; ++c) {
        float mn = k[c], mx = k[c];
        for (int r = 0; r < 32; ++r) {
          mn = std::min(mn, k[r * d + c]);
          mx = std::max(mx, k[r * d + c]);
        }
        CHECK(ColdKStep(layout, bytes.data(), c) <= (mx - mn) / 15.0f * 1.01f + 1e-3f);
      }
      CHECK(worst_k > 0.0);  // 4 bits cannot be exact on Gaussian data
      // A sub-range decode returns the same rows.
      std::vector<float> k3(static_cast<size_t>(8) * d);
      DecodeColdRows(layout, bytes.data(), 16, 8, k3.data(), nullptr);
      for (int i = 0; i < 8 * d; ++i) REQUIRE(k3[i] == k2[16 * d + i]);
    }
  }
}

TEST_CASE("fp16 cold codec rounds each element once", "[kv][codec]") {
  const int d = 32;
  const ColdLayout layout = ColdLayout::For(32, d, 16);
  CHECK(layout.head_bytes() == static_cast<size_t>(32 * d * 4));
  const std::vector<float> k = OutlierRows(32, d, 50.0f, 3);
  std::vector<uint8_t> bytes(layout.head_bytes());
  EncodeColdHead(layout, k.data(), k.data(), bytes.data());
  std::vector<float> k2(k.size()), v2(k.size());
  DecodeColdRows(layout, bytes.data(), 0, 32, k2.data(), v2.data());
  for (size_t i = 0; i < k.size(); ++i) {
    REQUIRE(std::fabs(k[i] - k2[i]) <= std::fabs(k[i]) * 0x1p-11f + 1e-7f);
    REQUIRE(k2[i] == v2[i]);
  }
}

TEST_CASE("4-bit codec survives non-finite and huge inputs without UB", "[kv][codec]") {
  const int d = 32;
  const ColdLayout layout = ColdLayout::For(32, d, 4);
  std::vector<float> k(32 * d, 1.0f), v(32 * d, -2.0f);
  k[5] = NAN;
  k[6] = INFINITY;
  v[7] = -1e30f;
  std::vector<uint8_t> bytes(layout.head_bytes());
  EncodeColdHead(layout, k.data(), v.data(), bytes.data());
  std::vector<float> k2(k.size()), v2(v.size());
  DecodeColdRows(layout, bytes.data(), 0, 32, k2.data(), v2.data());
  CHECK(std::fabs(v2[7]) <= 65504.0f * 1.01f);
}

TEST_CASE("The envelope bound is never below the true max logit of its unit", "[kv][envelope]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (int bits : {8, 4}) {
    for (int d : {8, 32, 128}) {
      for (float outlier : {1.0f, 8.0f, 60.0f}) {
        INFO("bits=" << bits << " d=" << d << " outlier=" << outlier);
        double slack_sum = 0;
        for (int trial = 0; trial < 40; ++trial) {
          const std::vector<float> keys = OutlierRows(8, d, outlier, 100u * trial + d);
          std::vector<int8_t> env(EnvBytes(d, bits));
          UnitMeta meta;
          BuildEnvelope(keys.data(), 8, d, bits, env.data(), &meta);
          std::vector<float> q(d);
          for (float& x : q) x = n(rng) * (trial % 2 ? 5.0f : 0.2f);
          if (trial % 4 == 3) {  // a query aligned with one key of the unit
            for (int c = 0; c < d; ++c) q[c] = keys[3 * d + c];
          }
          double true_max = -1e300, trivial = 0;
          for (int r = 0; r < 8; ++r) {
            double s = 0;
            for (int c = 0; c < d; ++c) s += static_cast<double>(q[c]) * keys[r * d + c];
            true_max = std::max(true_max, s);
          }
          const double tol = 1e-5 * (std::fabs(true_max) + 1.0);
          const double exact_bound = EnvelopeBound(q.data(), env.data(), meta, d, bits);
          REQUIRE(exact_bound >= true_max - tol);
          QuantQuery qq;
          QuantizeQuery(q.data(), d, &qq);
          const double fast_bound = EnvelopeBoundQuantized(qq, env.data(), meta, d, bits);
          REQUIRE(fast_bound >= exact_bound - tol);
          // Every kernel level computes the same int-path bound.
          for (engine::KernelLevel level : engine::AvailableKernelLevels()) {
            engine::SetKernelLevelForTesting(level);
            float scored = 0;
            ScoreUnits({&qq, 1, env.data(), &meta, 1, d, bits, &scored});
            REQUIRE(scored == Approx(fast_bound).epsilon(1e-6));
          }
          // The trivial bound: sum_c |q_c| max_r |k_rc|.
          for (int c = 0; c < d; ++c) {
            float m = 0;
            for (int r = 0; r < 8; ++r) m = std::max(m, std::fabs(keys[r * d + c]));
            trivial += std::fabs(q[c]) * m;
          }
          slack_sum += (fast_bound - true_max) / (trivial - true_max + 1e-30);
        }
        engine::SetKernelLevelForTesting(engine::AvailableKernelLevels().back());
        // Not vacuous: on average well inside the trivial bound at 8 bits,
        // and not far beyond it at 4 bits unless outliers are extreme (one
        // scale per unit leaves the other channels +-1 step).
        if (bits == 8) CHECK(slack_sum / 40 < 0.9);
        if (bits == 4 && outlier <= 8.0f) CHECK(slack_sum / 40 < 1.6);
      }
    }
  }
}

TEST_CASE("Scoring many units takes the max over the group's queries", "[kv][envelope]") {
  for (int bits : {8, 4}) {
    const int d = 64, n_units = 37;
    const std::vector<float> keys = OutlierRows(8 * n_units, d, 4.0f, 5);
    const int eb = EnvBytes(d, bits);
    std::vector<int8_t> env(static_cast<size_t>(n_units) * eb);
    std::vector<UnitMeta> meta(n_units);
    for (int u = 0; u < n_units; ++u) BuildEnvelope(&keys[u * 8 * d], 8, d, bits, &env[u * eb], &meta[u]);
    std::vector<QuantQuery> qs(3);
    std::mt19937 rng(2);
    std::normal_distribution<float> n(0.0f, 1.0f);
    for (QuantQuery& qq : qs) {
      std::vector<float> q(d);
      for (float& x : q) x = n(rng);
      QuantizeQuery(q.data(), d, &qq);
    }
    for (engine::KernelLevel level : engine::AvailableKernelLevels()) {
      engine::SetKernelLevelForTesting(level);
      std::vector<float> out(n_units);
      ScoreUnits({qs.data(), 3, env.data(), meta.data(), n_units, d, bits, out.data()});
      for (int u = 0; u < n_units; ++u) {
        float want = -INFINITY;
        for (const QuantQuery& qq : qs) {
          want = std::max(want, EnvelopeBoundQuantized(qq, &env[u * eb], meta[u], d, bits));
        }
        REQUIRE(out[u] == Approx(want).epsilon(1e-6));
      }
    }
    engine::SetKernelLevelForTesting(engine::AvailableKernelLevels().back());
  }
}

TEST_CASE("Table RoPE matches the double-precision definition up to 2^30 and beyond", "[kv][rope]") {
  for (engine::RopeStyle style : {engine::RopeStyle::kAdjacent, engine::RopeStyle::kHalves}) {
    for (float base : {1e4f, 1e6f}) {
      engine::KvRope rope;
      rope.freq_base = base;
      rope.style = style;
      const int d = 64;
      RopeTable table;
      table.Init(d, rope);
      std::mt19937 rng(1);
      std::normal_distribution<float> n(0.0f, 1.0f);
      for (int64_t pos : {int64_t{0}, int64_t{1}, int64_t{1023}, int64_t{1024}, int64_t{123457}, int64_t{1} << 20,
                          (int64_t{1} << 20) + 777, int64_t{999999}, (int64_t{1} << 30) + 3}) {
        std::vector<float> x(d), want(d);
        for (float& e : x) e = n(rng);
        want = x;
        kvtest::RotateExact(rope, d, static_cast<double>(pos), want.data());
        std::vector<float> cs(d);
        table.Angles(pos, cs.data());
        std::vector<float> got = x;
        table.Apply(cs.data(), got.data());
        for (int c = 0; c < d; ++c) REQUIRE(got[c] == Approx(want[c]).margin(2e-5));
        table.ApplyInverse(cs.data(), got.data());
        for (int c = 0; c < d; ++c) REQUIRE(got[c] == Approx(x[c]).margin(2e-5));
      }
    }
  }
}
