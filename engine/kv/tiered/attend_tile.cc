// The tiered cache's final softmax, tiled: for KV head g and a tile of
// tokens, every row any of the tile's queries may see (sinks, the union of
// their windows, the selected rows, the summary rows) is laid out once,
// transposed, and each query of the group scores all of them; rows outside
// its own sinks / window / far range are masked. A query therefore attends
// exactly the rows AttendOne-style per-token code would, while keys are
// converted and transposed once per tile instead of once per query.
#include <algorithm>
#include <cmath>

#include "engine/kv/tiered/tiered_cache.h"

namespace engine::kv {
namespace {

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

// Tokens per tile: the window union grows by one row per token, so small
// tiles waste little while sharing the layout over many queries.
constexpr int64_t kTileTokens = 32;

template <typename T>
void Grow(std::vector<T>* v, size_t n) {
  if (v->size() < n) v->resize(n);
}

// Stores row r of the tile, k[d] in f32, into the transposed layout.
inline void PutKey(float* kt, int d, int64_t r, const float* k) {
  float* block = kt + (r / kRowBlock) * d * kRowBlock + r % kRowBlock;
  for (int c = 0; c < d; ++c) block[c * kRowBlock] = k[c];
}

}  // namespace

void TieredCache::AttendRows(const LayerStore& L, const AttentionBatch& b, const Plan& plan,
                             base::ThreadPool* pool) {
  const int n_threads = pool->num_threads();
  if (tile_scratch_.size() < static_cast<size_t>(n_threads)) tile_scratch_.resize(static_cast<size_t>(n_threads));
  const int64_t n_tiles = (b.n_tokens + kTileTokens - 1) / kTileTokens;
  const int64_t items = n_tiles * config_.n_head_kv;
  pool->Run([&](int thread) {
    TileScratch* scratch = &tile_scratch_[static_cast<size_t>(thread)];
    for (int64_t i = items * thread / n_threads; i < items * (thread + 1) / n_threads; ++i) {
      const int g = static_cast<int>(i % config_.n_head_kv);
      const int64_t t0 = (i / config_.n_head_kv) * kTileTokens;
      AttendTile(L, b, plan, g, t0, std::min(b.n_tokens, t0 + kTileTokens), scratch);
    }
  });
}

void TieredCache::AttendTile(const LayerStore& L, const AttentionBatch& b, const Plan& plan, int g, int64_t t0,
                             int64_t t1, TileScratch* scratch) const {
  const TieredParams& p = L.geometry().params;
  const int d = config_.head_dim;
  const int group = config_.n_head / config_.n_head_kv;
  const HeadScratch& s = scratch_[static_cast<size_t>(g)];
  const int64_t first = b.first_pos + t0, last = b.first_pos + t1 - 1;
  const int64_t ring = L.ring_capacity();

  // The tile's rows: [sinks | window union | selected | summary].
  const int64_t n_sink = std::min<int64_t>(p.n_sink, last + 1);
  const int64_t win_lo = std::max({static_cast<int64_t>(p.n_sink), first + 1 - plan.window, L.ring_lo()});
  const int64_t n_win = std::max<int64_t>(0, last + 1 - win_lo);
  const int64_t n_sel_max =
      std::lower_bound(s.sel_pos.begin(), s.sel_pos.begin() + s.n_rows, last + 1 - plan.window) - s.sel_pos.begin();
  const int64_t win_at = n_sink, sel_at = win_at + n_win, sum_at = sel_at + n_sel_max;
  const int64_t n_rows = sum_at + s.n_sum;
  const int64_t n_blocks = (n_rows + kRowBlock - 1) / kRowBlock;

  Grow(&scratch->kt, Sz(n_blocks * kRowBlock, d));
  Grow(&scratch->v, Sz(sel_at, d));
  float* kt = scratch->kt.data();
  float* v = scratch->v.data();
  const AttendKernels& kern = BestAttendKernels();
  float k[kMaxHeadDim];
  for (int64_t x = 0; x < n_sink; ++x) {  // sinks: re-rotated f32 when capped, else fp16
    if (plan.capped) {
      PutKey(kt, d, x, &s.cap_sink_k[Sz(x, d)]);
    } else {
      kern.f16_to_f32(L.sink_k(g) + Sz(x, d), k, d);
      PutKey(kt, d, x, k);
    }
    kern.f16_to_f32(L.sink_v(g) + Sz(x, d), v + Sz(x, d), d);
  }
  for (int64_t i = 0; i < n_win; ++i) {
    const size_t slot = Sz((win_lo + i) % ring, d);
    kern.f16_to_f32(L.ring_k(g) + slot, k, d);
    PutKey(kt, d, win_at + i, k);
    kern.f16_to_f32(L.ring_v(g) + slot, v + Sz(win_at + i, d), d);
  }
  for (int64_t r = 0; r < n_sel_max; ++r) PutKey(kt, d, sel_at + r, &s.sel_k[Sz(r, d)]);
  for (int64_t r = 0; r < s.n_sum; ++r) PutKey(kt, d, sum_at + r, &s.sum_k[Sz(r, d)]);
  for (int64_t r = n_rows; r < n_blocks * kRowBlock; ++r) {  // padding: finite, then masked
    for (int c = 0; c < d; ++c) kt[(r / kRowBlock) * d * kRowBlock + c * kRowBlock + r % kRowBlock] = 0.0f;
  }

  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t row_cap = n_blocks * kRowBlock;
  Grow(&scratch->scores, Sz(kQueryBatch, row_cap));
  Grow(&scratch->out, Sz(kQueryBatch, d));
  // The tile's queries, (token, head of the group), in batches; a short
  // last batch repeats its first query and drops the copies' results.
  const int64_t n_queries = (t1 - t0) * group;
  for (int64_t q0 = 0; q0 < n_queries; q0 += kQueryBatch) {
    const float* q[kQueryBatch];
    float* scores[kQueryBatch];
    float* acc[kQueryBatch];
    int64_t pos[kQueryBatch];
    for (int j = 0; j < kQueryBatch; ++j) {
      const int64_t qi = q0 + j < n_queries ? q0 + j : q0;
      const int64_t t = t0 + qi / group;
      const int h = g * group + static_cast<int>(qi % group);
      q[j] = b.q + Sz(t * config_.n_head + h, d);  // [d]
      pos[j] = b.first_pos + t;
      scores[j] = scratch->scores.data() + Sz(j, row_cap);  // [n_rows]
      acc[j] = scratch->out.data() + Sz(j, d);              // [d]
      std::fill(acc[j], acc[j] + d, 0.0f);
    }
    kern.score(q, kt, d, n_blocks, scale, scores);
    int64_t sel_end[kQueryBatch];
    float inv_sum[kQueryBatch];
    for (int j = 0; j < kQueryBatch; ++j) {
      // This query's rows, as ranges of the tile: sinks [0, sink_end),
      // window [w_begin, w_end), selected [sel_at, sel_end), summary.
      const int64_t sink_end = std::min<int64_t>(n_sink, pos[j] + 1);
      const int64_t w_lo = std::max({static_cast<int64_t>(p.n_sink), pos[j] + 1 - plan.window, L.ring_lo()});
      const int64_t w_begin = win_at + std::max<int64_t>(0, w_lo - win_lo);
      const int64_t w_end = win_at + std::max<int64_t>(0, pos[j] + 1 - win_lo);
      sel_end[j] = sel_at + (std::lower_bound(s.sel_pos.begin(), s.sel_pos.begin() + n_sel_max,
                                              pos[j] + 1 - plan.window) -
                             s.sel_pos.begin());
      float* sc = scores[j];
      std::fill(sc + sink_end, sc + std::max(sink_end, w_begin), -INFINITY);
      std::fill(sc + std::max(w_begin, w_end), sc + sel_at, -INFINITY);
      std::fill(sc + sel_end[j], sc + sum_at, -INFINITY);
      for (int64_t r = 0; r < s.n_sum; ++r) sc[sum_at + r] += s.sum_logw[static_cast<size_t>(r)];
      float max_score = -INFINITY;
      for (int64_t r = 0; r < n_rows; ++r) max_score = std::max(max_score, sc[r]);
      const float sum = kern.exp_sum(sc, n_rows, max_score);
      inv_sum[j] = sum > 0.0f ? 1.0f / sum : 0.0f;
    }
    // Values: sinks and window from the tile, selected and summary rows in
    // place (masked rows have weight 0).
    const int64_t sel_rows = *std::max_element(sel_end, sel_end + kQueryBatch) - sel_at;
    float* p_sel[kQueryBatch];
    float* p_sum[kQueryBatch];
    for (int j = 0; j < kQueryBatch; ++j) {
      p_sel[j] = scores[j] + sel_at;
      p_sum[j] = scores[j] + sum_at;
    }
    kern.accumulate(scores, v, d, sel_at, acc);
    kern.accumulate(p_sel, s.sel_v.data(), d, sel_rows, acc);
    kern.accumulate(p_sum, s.sum_v.data(), d, s.n_sum, acc);
    for (int j = 0; j < kQueryBatch && q0 + j < n_queries; ++j) {
      const int64_t t = t0 + (q0 + j) / group;
      const int h = g * group + static_cast<int>((q0 + j) % group);
      float* out = b.out + Sz(t * config_.n_head + h, d);  // [d]
      for (int c = 0; c < d; ++c) out[c] = acc[j][c] * inv_sum[j];
    }
  }
}

}  // namespace engine::kv
