// The vector attention kernels against plain loops, at every head width the
// supported models use (stories260K has 8 channels per head, most 64-128)
// and row counts that are not multiples of the vector or block widths.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kv/tiered/attend_kernels.h"

namespace {

using engine::kv::kQueryBatch;
using engine::kv::kRowBlock;

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST_CASE("attention kernels match plain loops at every head width", "[kv]") {
  const auto& k = engine::kv::BestAttendKernels();
  for (int d : {8, 16, 24, 40, 64, 72, 128}) {
    for (int64_t n : {1, 15, 16, 33, 300}) {
      INFO("d=" << d << " n=" << n);
      const auto v = Random(static_cast<size_t>(n * d), static_cast<uint32_t>(d * 1000 + n));
      std::vector<std::vector<float>> p(kQueryBatch), out(kQueryBatch), want(kQueryBatch);
      const float* pp[kQueryBatch];
      float* po[kQueryBatch];
      for (int j = 0; j < kQueryBatch; ++j) {
        p[j] = Random(static_cast<size_t>(n), static_cast<uint32_t>(j + 7));
        out[j] = Random(static_cast<size_t>(d), static_cast<uint32_t>(j + 70));  // accumulate adds to it
        want[j] = out[j];
        for (int64_t r = 0; r < n; ++r) {
          for (int c = 0; c < d; ++c) want[j][static_cast<size_t>(c)] += p[j][static_cast<size_t>(r)] * v[static_cast<size_t>(r * d + c)];
        }
        pp[j] = p[j].data();
        po[j] = out[j].data();
      }
      k.accumulate(pp, v.data(), d, n, po);
      for (int j = 0; j < kQueryBatch; ++j) {
        for (int c = 0; c < d; ++c) {
          CHECK(out[j][static_cast<size_t>(c)] == Approx(want[j][static_cast<size_t>(c)]).margin(1e-3));
        }
      }

      // Scores against keys laid out transposed in blocks of kRowBlock rows.
      const int64_t n_blocks = (n + kRowBlock - 1) / kRowBlock;
      const auto keys = Random(static_cast<size_t>(n * d), static_cast<uint32_t>(d + n));
      std::vector<float> kt(static_cast<size_t>(n_blocks * d * kRowBlock), 0.0f);
      for (int64_t r = 0; r < n; ++r) {
        for (int c = 0; c < d; ++c) {
          kt[static_cast<size_t>((r / kRowBlock) * d * kRowBlock + c * kRowBlock + r % kRowBlock)] =
              keys[static_cast<size_t>(r * d + c)];
        }
      }
      std::vector<std::vector<float>> q(kQueryBatch), s(kQueryBatch);
      const float* pq[kQueryBatch];
      float* ps[kQueryBatch];
      for (int j = 0; j < kQueryBatch; ++j) {
        q[j] = Random(static_cast<size_t>(d), static_cast<uint32_t>(j + 100));
        s[j].assign(static_cast<size_t>(n_blocks * kRowBlock), 0.0f);
        pq[j] = q[j].data();
        ps[j] = s[j].data();
      }
      const float scale = 0.125f;
      k.score(pq, kt.data(), d, n_blocks, scale, ps);
      for (int j = 0; j < kQueryBatch; ++j) {
        for (int64_t r = 0; r < n; ++r) {
          float dot = 0.0f;
          for (int c = 0; c < d; ++c) dot += q[j][static_cast<size_t>(c)] * keys[static_cast<size_t>(r * d + c)];
          CHECK(s[j][static_cast<size_t>(r)] == Approx(scale * dot).margin(1e-3));
        }
      }

      // exp_sum: -inf rows give 0.
      std::vector<float> e = Random(static_cast<size_t>(n), 5);
      if (n > 1) e[0] = -INFINITY;
      std::vector<float> e_want = e;
      float max = -INFINITY, sum = 0.0f;
      for (float x : e) max = std::max(max, x);
      for (float& x : e_want) sum += (x = std::exp(x - max));
      CHECK(k.exp_sum(e.data(), n, max) == Approx(sum).epsilon(1e-4));
      for (int64_t r = 0; r < n; ++r) CHECK(e[static_cast<size_t>(r)] == Approx(e_want[static_cast<size_t>(r)]).margin(1e-5));
    }
  }
}

}  // namespace
