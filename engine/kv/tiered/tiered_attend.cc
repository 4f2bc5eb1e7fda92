// TieredCache::Attend: select, gather, and one softmax over the tiers.
#include <algorithm>
#include <cmath>

#include "base/log.h"
#include "engine/kv/tiered/tiered_cache.h"
#include "engine/quant/fp16.h"
#include "engine/quant/vec.h"

namespace engine::kv {
namespace {

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

// Rows of unit u that lie in the far range [n_sink, far_end).
std::pair<int64_t, int64_t> FarRows(int64_t u, int unit, int64_t n_sink, int64_t far_end) {
  const int64_t lo = std::max(u * unit, n_sink);
  const int64_t hi = std::min(u * unit + unit, far_end);
  return {lo, std::max(lo, hi)};
}

}  // namespace

void TieredCache::Attend(const AttentionBatch& b, base::ThreadPool* pool) {
  if (b.layer < 0 || b.layer >= config_.n_layer || b.n_tokens <= 0) return;
  layers_[static_cast<size_t>(b.layer)]->EnsureIndex();
  const LayerStore& L = *layers_[static_cast<size_t>(b.layer)];
  if (b.first_pos < 0 || b.first_pos + b.n_tokens > L.n_positions()) {
    // The batch's keys were never stored: a caller bug. Answer zeros rather
    // than read positions that hold nothing.
    LOG(ERROR) << "tiered KV cache: attend at positions " << b.first_pos << ".." << b.first_pos + b.n_tokens - 1
               << " but layer " << b.layer << " holds " << L.n_positions();
    std::fill(b.out, b.out + Sz(b.n_tokens, config_.n_head * config_.head_dim), 0.0f);
    return;
  }
  const Plan plan = PlanChunk(L.geometry().params, b.first_pos, b.n_tokens, L.n_closed_units(), cap_);
  SelectUnits(L, b, plan, pool);
  GatherRows(L, plan, pool);
  AttendRows(L, b, plan, pool);

  const TieredParams& p = L.geometry().params;
  const HeadScratch& s = scratch_[0];
  const int64_t last = b.first_pos + b.n_tokens - 1;
  const int64_t far_last = std::max<int64_t>(0, last + 1 - p.window);
  stats_.candidate_units = std::max<int64_t>(0, plan.unit_hi - plan.unit_lo);
  stats_.selected_units = static_cast<int64_t>(s.selected.size());
  stats_.summary_rows = s.n_sum;
  stats_.capped = plan.capped;
  const int64_t sel_rows =
      std::lower_bound(s.sel_pos.begin(), s.sel_pos.begin() + s.n_rows, far_last) - s.sel_pos.begin();
  stats_.exact_rows = std::min<int64_t>(p.n_sink, last + 1) +
                      std::max<int64_t>(0, last + 1 - std::max<int64_t>(p.n_sink, far_last)) + sel_rows;
}

void TieredCache::SelectUnits(const LayerStore& L, const AttentionBatch& b, const Plan& plan,
                              base::ThreadPool* pool) {
  const TieredParams& p = L.geometry().params;
  const int d = config_.head_dim, n_head = config_.n_head, n_kv = config_.n_head_kv;
  const int group = n_head / n_kv;
  const int64_t n_cand = plan.unit_hi - plan.unit_lo;
  for (HeadScratch& s : scratch_) s.selected.clear();
  const int64_t k = plan.top_k;
  if (n_cand <= 0 || k == 0) return;
  if (n_cand <= k) {  // k covers every unit: attend them all
    for (HeadScratch& s : scratch_) {
      for (int64_t u = plan.unit_lo; u < plan.unit_hi; ++u) s.selected.push_back(static_cast<int32_t>(u));
    }
    return;
  }
  // Representative queries per KV head, for each group head: the query of
  // the last token and, for a chunk, of kChunkSamples - 1 more evenly spaced
  // tokens plus the chunk mean.
  const int64_t samples = std::min<int64_t>(kChunkSamples, b.n_tokens);
  for (int g = 0; g < n_kv; ++g) {
    HeadScratch& s = scratch_[static_cast<size_t>(g)];
    s.n_reps = 0;
    for (int j = 0; j < group; ++j) {
      const int h = g * group + j;
      for (int64_t i = 0; i < samples; ++i) {
        const int64_t t = b.n_tokens - 1 - i * (b.n_tokens - 1) / std::max<int64_t>(1, samples - 1);
        float* rep = &s.reps_f[Sz(s.n_reps, d)];
        std::copy_n(b.q + Sz(t * n_head + h, d), d, rep);
        QuantizeQuery(rep, d, &s.reps[static_cast<size_t>(s.n_reps++)]);
      }
      if (b.n_tokens > 1) {
        float* mean = &s.reps_f[Sz(s.n_reps, d)];
        std::fill(mean, mean + d, 0.0f);
        for (int64_t t = 0; t < b.n_tokens; ++t) {
          const float* q = b.q + Sz(t * n_head + h, d);  // [d]
          for (int c = 0; c < d; ++c) mean[c] += q[c];
        }
        for (int c = 0; c < d; ++c) mean[c] /= static_cast<float>(b.n_tokens);
        QuantizeQuery(mean, d, &s.reps[static_cast<size_t>(s.n_reps++)]);
      }
    }
  }
  pool->ParallelFor(n_kv * n_cand, 4096, [&](int64_t begin, int64_t end) {
    while (begin < end) {
      const int g = static_cast<int>(begin / n_cand);
      const int64_t u0 = begin % n_cand;
      const int64_t len = std::min(end - begin, n_cand - u0);
      HeadScratch& s = scratch_[static_cast<size_t>(g)];
      const int64_t u = plan.unit_lo + u0;
      ScoreUnits({s.reps.data(), s.n_reps, L.env(g) + Sz(u, L.env_bytes()), L.meta(g) + u, len, d,
                  p.index_bits, s.scores.data() + u0});
      begin += len;
    }
  });
  // Highest score first; ties go to the later (more recent) unit.
  auto higher = [](const std::pair<float, int32_t>& x, const std::pair<float, int32_t>& y) {
    return x.first > y.first || (x.first == y.first && x.second > y.second);
  };
  const int64_t m = plan.shortlist;
  pool->ParallelFor(n_kv, 1, [&](int64_t g_begin, int64_t g_end) {
    for (int64_t g = g_begin; g < g_end; ++g) {
      HeadScratch& s = scratch_[static_cast<size_t>(g)];
      for (int64_t i = 0; i < n_cand; ++i) {
        const float sc = s.scores[static_cast<size_t>(i)];
        s.order[static_cast<size_t>(i)] = {sc == sc ? sc : -INFINITY, static_cast<int32_t>(plan.unit_lo + i)};
      }
      std::nth_element(s.order.begin(), s.order.begin() + m, s.order.begin() + n_cand, higher);
    }
  });
  if (m > k) {  // re-score the shortlist on the 4-bit keys
    pool->ParallelFor(n_kv * m, 8, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        HeadScratch& s = scratch_[static_cast<size_t>(i / m)];
        auto& e = s.order[static_cast<size_t>(i % m)];
        const float sc = RerankScore(L, plan, static_cast<int>(i / m), e.second);
        e.first = sc == sc ? sc : -INFINITY;
      }
    });
  }
  pool->ParallelFor(n_kv, 1, [&](int64_t g_begin, int64_t g_end) {
    for (int64_t g = g_begin; g < g_end; ++g) {
      HeadScratch& s = scratch_[static_cast<size_t>(g)];
      if (m > k) std::nth_element(s.order.begin(), s.order.begin() + k, s.order.begin() + m, higher);
      for (int64_t j = 0; j < k; ++j) s.selected.push_back(s.order[static_cast<size_t>(j)].second);
      std::sort(s.selected.begin(), s.selected.end());
    }
  });
}

float TieredCache::RerankScore(const LayerStore& L, const Plan& plan, int g, int64_t u) const {
  const TieredParams& p = L.geometry().params;
  const int d = config_.head_dim;
  const HeadScratch& s = scratch_[static_cast<size_t>(g)];
  const auto [lo, hi] = FarRows(u, p.unit, p.n_sink, plan.far_end);
  if (hi <= lo) return -INFINITY;
  constexpr int kRun = 8, kMaxReps = 64;
  const int n_reps = std::min(s.n_reps, kMaxReps);
  float run_max[kMaxReps], run_sum[kMaxReps];
  std::fill(run_max, run_max + n_reps, -INFINITY);
  std::fill(run_sum, run_sum + n_reps, 0.0f);
  float k[kRun * kMaxHeadDim], cs[kMaxHeadDim];  // k: [run][d]
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const uint8_t* src = L.cold_block(lo / p.block) + static_cast<size_t>(g) * L.cold_layout().head_bytes();
  for (int64_t pos0 = lo; pos0 < hi; pos0 += kRun) {
    const int run = static_cast<int>(std::min<int64_t>(kRun, hi - pos0));
    DecodeColdRows(L.cold_layout(), src, static_cast<int>(pos0 % p.block), run, k, nullptr);
    if (plan.capped) {
      for (int r = 0; r < run; ++r) {
        rope_.Angles(std::max(pos0 + r, plan.anchor), cs);
        rope_.Apply(cs, &k[Sz(r, d)]);
      }
    } else {
      rope_.RotateRun(pos0, run, k);
    }
    for (int r = 0; r < run; ++r) {
      for (int q = 0; q < n_reps; ++q) {
        const float l = DotF32(&s.reps_f[Sz(q, d)], &k[Sz(r, d)], d) * scale;
        if (l > run_max[q]) {  // online log-sum-exp
          run_sum[q] = run_sum[q] * std::exp(run_max[q] - l) + 1.0f;
          run_max[q] = l;
        } else {
          run_sum[q] += std::exp(l - run_max[q]);
        }
      }
    }
  }
  float best = -INFINITY;
  for (int q = 0; q < n_reps; ++q) best = std::max(best, run_max[q] + std::log(run_sum[q]));
  return best;
}

void TieredCache::GatherRows(const LayerStore& L, const Plan& plan, base::ThreadPool* pool) {
  const TieredParams& p = L.geometry().params;
  const int d = config_.head_dim, n_kv = config_.n_head_kv;
  const size_t head_bytes = L.cold_layout().head_bytes();
  size_t max_sel = 0;
  for (HeadScratch& s : scratch_) {
    s.row_offset.clear();
    s.row_offset.push_back(0);
    for (int32_t u : s.selected) {
      const auto [lo, hi] = FarRows(u, p.unit, p.n_sink, plan.far_end);
      s.row_offset.push_back(s.row_offset.back() + (hi - lo));
    }
    s.n_rows = s.row_offset.back();
    max_sel = std::max(max_sel, s.selected.size());
  }
  const int64_t per_head = static_cast<int64_t>(max_sel);
  pool->ParallelFor(n_kv * per_head, 4, [&](int64_t begin, int64_t end) {
    float cs[kMaxHeadDim];
    for (int64_t i = begin; i < end; ++i) {
      const int g = static_cast<int>(i / per_head);
      const size_t j = static_cast<size_t>(i % per_head);
      HeadScratch& s = scratch_[static_cast<size_t>(g)];
      if (j >= s.selected.size()) continue;
      const auto [lo, hi] = FarRows(s.selected[j], p.unit, p.n_sink, plan.far_end);
      if (hi <= lo) continue;
      const int64_t off = s.row_offset[j];
      const uint8_t* src = L.cold_block(lo / p.block) + static_cast<size_t>(g) * head_bytes;
      DecodeColdRows(L.cold_layout(), src, static_cast<int>(lo % p.block), static_cast<int>(hi - lo),
                     &s.sel_k[Sz(off, d)], &s.sel_v[Sz(off, d)]);
      // RoPE at the (possibly capped) position.
      for (int64_t pos = lo; pos < hi; ++pos) s.sel_pos[static_cast<size_t>(off + pos - lo)] = pos;
      if (plan.capped) {
        for (int64_t pos = lo; pos < hi; ++pos) {
          rope_.Angles(std::max(pos, plan.anchor), cs);
          rope_.Apply(cs, &s.sel_k[Sz(off + pos - lo, d)]);
        }
      } else {
        rope_.RotateRun(lo, static_cast<int>(hi - lo), &s.sel_k[Sz(off, d)]);
      }
    }
  });
  pool->ParallelFor(n_kv, 1, [&](int64_t g_begin, int64_t g_end) {
    float cs[kMaxHeadDim];
    for (int64_t g = g_begin; g < g_end; ++g) {
      HeadScratch& s = scratch_[static_cast<size_t>(g)];
      if (plan.capped) {
        const int64_t n_sink = std::min<int64_t>(p.n_sink, L.n_positions());
        for (int64_t x = 0; x < n_sink; ++x) {
          std::copy_n(L.sink_k_pre(static_cast<int>(g)) + Sz(x, d), d, &s.cap_sink_k[Sz(x, d)]);
          rope_.Angles(std::max(x, plan.anchor), cs);
          rope_.Apply(cs, &s.cap_sink_k[Sz(x, d)]);
        }
      }
      BuildSummaries(L, plan, static_cast<int>(g));
    }
  });
}

void TieredCache::BuildSummaries(const LayerStore& L, const Plan& plan, int g) {
  const TieredParams& p = L.geometry().params;
  const int d = config_.head_dim;
  HeadScratch& s = scratch_[static_cast<size_t>(g)];
  s.n_sum = 0;
  // Summary keys carry true-position RoPE, so they are skipped once far
  // positions are capped.
  if (p.summary == 0 || plan.capped) return;
  // Blocks inside every query's far range: [n_sink, first_pos + 1 - W).
  const int64_t far_all = std::max<int64_t>(0, plan.first_pos + 1 - plan.window);
  const int64_t b_lo = (p.n_sink + p.block - 1) / p.block;
  const int64_t b_hi = std::min(far_all / p.block, L.n_closed_blocks());
  const int upb = L.units_per_block();
  size_t next = 0;  // first selected unit not yet passed
  for (int64_t blk = b_lo; blk < b_hi; ++blk) {
    int n_sel = 0;
    while (next < s.selected.size() && s.selected[next] < (blk + 1) * upb) {
      n_sel += s.selected[next] >= blk * upb;
      ++next;
    }
    const int count = p.block - n_sel * p.unit;
    if (count <= 0) continue;
    const uint16_t* mk = L.summary_k(g) + Sz(blk, d);
    const uint16_t* mv = L.summary_v(g) + Sz(blk, d);
    for (int c = 0; c < d; ++c) {
      s.sum_k[Sz(s.n_sum, d) + c] = F16ToF32(mk[c]);
      s.sum_v[Sz(s.n_sum, d) + c] = F16ToF32(mv[c]);
    }
    s.sum_logw[static_cast<size_t>(s.n_sum)] = std::log(static_cast<float>(count));
    ++s.n_sum;
  }
}

}  // namespace engine::kv
