#include "engine/kv/dense_attend.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "engine/kv/tiered/attend_kernels.h"

namespace engine::kv {
namespace {

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

constexpr int64_t kTileTokens = 32;

template <typename T>
void Grow(std::vector<T>* v, size_t n) {
  if (v->size() < n) v->resize(n);
}

// Row `pos` of KV head g as f32 (a view into the cache when it is f32).
const float* RowF32(const DenseAttendArgs& a, const void* base, int g, int64_t pos, const AttendKernels& kern,
                    float* tmp) {
  const AttentionCacheConfig& c = *a.config;
  const size_t at = (static_cast<size_t>(g) * static_cast<size_t>(c.capacity) + static_cast<size_t>(pos)) *
                    static_cast<size_t>(c.head_dim);
  if (c.type == KvType::kF32) return static_cast<const float*>(base) + at;
  kern.f16_to_f32(static_cast<const uint16_t*>(base) + at, tmp, c.head_dim);
  return tmp;
}

void AttendTile(const DenseAttendArgs& a, int g, int64_t t0, int64_t t1, DenseTileScratch* s) {
  const AttentionCacheConfig& c = *a.config;
  const AttentionBatch& b = *a.batch;
  const int d = c.head_dim, group = c.n_head / c.n_head_kv;
  const AttendKernels& kern = BestAttendKernels();
  const int64_t n_rows = b.first_pos + t1;  // keys the tile's last query sees
  const int64_t n_blocks = (n_rows + kRowBlock - 1) / kRowBlock;
  const int64_t row_cap = n_blocks * kRowBlock;
  Grow(&s->kt, Sz(row_cap, d));
  Grow(&s->v, Sz(n_rows, d));
  Grow(&s->scores, Sz(kQueryBatch, row_cap));
  Grow(&s->out, Sz(kQueryBatch, d));
  Grow(&s->row, static_cast<size_t>(d));
  float* kt = s->kt.data();
  for (int64_t r = 0; r < row_cap; ++r) {  // kt: [blocks][d][kRowBlock], padding rows zero
    const float* k = r < n_rows ? RowF32(a, a.k, g, r, kern, s->row.data()) : nullptr;
    float* block = kt + (r / kRowBlock) * d * kRowBlock + r % kRowBlock;
    for (int ch = 0; ch < d; ++ch) block[ch * kRowBlock] = k ? k[ch] : 0.0f;
  }
  for (int64_t r = 0; r < n_rows; ++r) {  // v: [n_rows][d]
    const float* v = RowF32(a, a.v, g, r, kern, s->row.data());
    std::copy_n(v, d, &s->v[Sz(r, d)]);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t n_queries = (t1 - t0) * group;
  for (int64_t q0 = 0; q0 < n_queries; q0 += kQueryBatch) {
    const float* q[kQueryBatch];
    float* scores[kQueryBatch];
    float* acc[kQueryBatch];
    for (int j = 0; j < kQueryBatch; ++j) {
      const int64_t qi = q0 + j < n_queries ? q0 + j : q0;  // a short batch repeats its first query
      const int64_t t = t0 + qi / group;
      q[j] = b.q + Sz(t * c.n_head + g * group + qi % group, d);  // [d]
      scores[j] = s->scores.data() + Sz(j, row_cap);               // [n_rows]
      acc[j] = s->out.data() + Sz(j, d);                           // [d]
      std::fill(acc[j], acc[j] + d, 0.0f);
    }
    kern.score(q, kt, d, n_blocks, scale, scores);
    float inv_sum[kQueryBatch];
    for (int j = 0; j < kQueryBatch; ++j) {
      const int64_t qi = q0 + j < n_queries ? q0 + j : q0;
      const int64_t visible = b.first_pos + t0 + qi / group + 1;  // causal: rows [0, pos]
      std::fill(scores[j] + visible, scores[j] + n_rows, -INFINITY);
      const float max_score = *std::max_element(scores[j], scores[j] + visible);
      const float sum = kern.exp_sum(scores[j], n_rows, max_score);
      inv_sum[j] = sum > 0.0f ? 1.0f / sum : 0.0f;
    }
    kern.accumulate(scores, s->v.data(), d, n_rows, acc);
    for (int j = 0; j < kQueryBatch && q0 + j < n_queries; ++j) {
      const int64_t t = t0 + (q0 + j) / group;
      float* out = b.out + Sz(t * c.n_head + g * group + (q0 + j) % group, d);  // [d]
      for (int ch = 0; ch < d; ++ch) out[ch] = acc[j][ch] * inv_sum[j];
    }
  }
}

}  // namespace

void DenseAttendTiled(const DenseAttendArgs& args, base::ThreadPool* pool, std::vector<DenseTileScratch>* scratch) {
  const AttentionBatch& b = *args.batch;
  const int n_threads = pool->num_threads();
  if (scratch->size() < static_cast<size_t>(n_threads)) scratch->resize(static_cast<size_t>(n_threads));
  const int n_kv = args.config->n_head_kv;
  const int64_t n_tiles = (b.n_tokens + kTileTokens - 1) / kTileTokens;
  const int64_t items = n_tiles * n_kv;
  // Causal: a later tile sees more keys, so a static split leaves the
  // thread with the last tiles doing most of the work. Threads pull items
  // from a counter instead, the heaviest (last) tiles first. Each item
  // writes only its own rows, so the result does not depend on who ran it.
  std::atomic<int64_t> next{0};
  pool->Run([&](int thread) {
    DenseTileScratch* s = &(*scratch)[static_cast<size_t>(thread)];
    for (int64_t k = next.fetch_add(1, std::memory_order_relaxed); k < items;
         k = next.fetch_add(1, std::memory_order_relaxed)) {
      const int64_t i = items - 1 - k;
      const int64_t t0 = (i / n_kv) * kTileTokens;
      AttendTile(args, static_cast<int>(i % n_kv), t0, std::min(b.n_tokens, t0 + kTileTokens), s);
    }
  });
}

}  // namespace engine::kv
