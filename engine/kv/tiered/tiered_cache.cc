#include "engine/kv/tiered/tiered_cache.h"

#include <algorithm>

namespace engine::kv {
namespace {

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

base::Status CheckGeometry(const AttentionCacheConfig& c) {
  if (c.n_layer <= 0 || c.n_head <= 0 || c.n_head_kv <= 0 || c.capacity <= 0) {
    return base::InvalidArgument("tiered KV cache: layers, heads and capacity must be positive");
  }
  if (c.n_head % c.n_head_kv != 0) {
    return base::InvalidArgument("tiered KV cache: n_head (" + std::to_string(c.n_head) +
                                 ") must be a multiple of n_head_kv (" + std::to_string(c.n_head_kv) + ")");
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0 || c.head_dim > kMaxHeadDim) {
    return base::Unsupported("tiered KV cache: head_dim must be even and at most " + std::to_string(kMaxHeadDim) +
                             ", got " + std::to_string(c.head_dim));
  }
  return base::Status::Ok();
}

}  // namespace

TieredCache::TieredCache(const AttentionCacheConfig& config, const KvRope& rope, int64_t cap)
    : config_(config), cap_(cap) {
  rope_.Init(config.head_dim, rope);
}

base::Result<std::unique_ptr<TieredCache>> TieredCache::Create(const AttentionCacheConfig& config,
                                                               const KvPolicy& policy, const KvRope& rope) {
  RETURN_IF_ERROR(CheckGeometry(config));
  RETURN_IF_ERROR(ValidateKvPolicy(policy, config.n_layer));
  const int64_t trained = policy.trained_ctx > 0 ? policy.trained_ctx : rope.n_ctx_train;
  int64_t cap = 0;
  if (policy.far_distance_cap > 0) {
    cap = policy.far_distance_cap;
  } else if (policy.far_distance_cap == 0 && trained > 0) {
    cap = trained * 3 / 4;
  }
  std::unique_ptr<TieredCache> cache(new TieredCache(config, rope, cap));
  int64_t max_rows = 0, max_sink = 0, min_unit = 1 << 30, max_sum_rows = 0;
  for (int l = 0; l < config.n_layer; ++l) {
    LayerGeometry geo;
    geo.layer = l;
    geo.n_head_kv = config.n_head_kv;
    geo.head_dim = config.head_dim;
    geo.capacity = config.capacity;
    geo.params = policy.ForLayer(l);
    if (cap > 0 && geo.params.window > cap) {
      if (cap < geo.params.block) {
        return base::InvalidArgument("kv policy: far_cap (" + std::to_string(cap) + ") must be >= block (" +
                                     std::to_string(geo.params.block) + ")");
      }
      geo.params.window = static_cast<int>(cap);  // keep the window's distances in the trained range
    }
    const TieredParams& p = geo.params;
    max_rows = std::max(max_rows, std::min<int64_t>(Sz(p.top_k, p.unit) * p.prefill_scale, config.capacity));
    max_sink = std::max<int64_t>(max_sink, std::min<int64_t>(p.n_sink, config.capacity));
    min_unit = std::min<int64_t>(min_unit, p.unit);
    if (p.summary > 0) max_sum_rows = std::max(max_sum_rows, config.capacity / p.block + 1);
    if (p.block != policy.ForLayer(0).block) {
      return base::InvalidArgument("kv policy: every layer must use the same block (" +
                                   std::to_string(policy.ForLayer(0).block) + "); layer " + std::to_string(l) +
                                   " asks for " + std::to_string(p.block) + " (checkpoints address blocks by position)");
    }
    cache->layers_.push_back(std::make_unique<LayerStore>(geo, &cache->rope_));
  }
  const int group = config.n_head / config.n_head_kv;
  const int64_t max_units = config.capacity / min_unit + 1;
  const int d = config.head_dim;
  cache->scratch_.resize(static_cast<size_t>(config.n_head_kv));
  for (HeadScratch& s : cache->scratch_) {
    s.reps.resize(static_cast<size_t>((kChunkSamples + 1) * group));
    s.reps_f.resize(Sz((kChunkSamples + 1) * group, d));
    s.scores.resize(static_cast<size_t>(max_units));
    s.order.resize(static_cast<size_t>(max_units));
    s.selected.reserve(static_cast<size_t>(max_units));
    s.row_offset.reserve(static_cast<size_t>(max_units) + 1);
    s.sel_k.resize(Sz(max_rows, d));
    s.sel_v.resize(Sz(max_rows, d));
    s.sel_pos.resize(static_cast<size_t>(max_rows));
    s.cap_sink_k.resize(Sz(max_sink, d));
    s.sum_k.resize(Sz(max_sum_rows, d));
    s.sum_v.resize(Sz(max_sum_rows, d));
    s.sum_logw.resize(static_cast<size_t>(max_sum_rows));
  }
  return cache;
}

base::Status TieredCache::Store(const KvChunk& chunk) {
  if (chunk.layer < 0 || chunk.layer >= config_.n_layer) {
    return base::InvalidArgument("tiered KV cache: no layer " + std::to_string(chunk.layer));
  }
  LayerStore& L = *layers_[static_cast<size_t>(chunk.layer)];
  RETURN_IF_ERROR(L.Append(chunk));
  if (chunk.layer == config_.n_layer - 1) n_positions_ = L.n_positions();
  return base::Status::Ok();
}

void TieredCache::EnsureIndexes() {
  for (auto& L : layers_) L->EnsureIndex();
}

void TieredCache::Truncate(int64_t n) {
  for (auto& L : layers_) L->Truncate(n);
  n_positions_ = std::clamp<int64_t>(n, 0, n_positions_);
}

CacheBytes TieredCache::bytes() const {
  CacheBytes b;
  for (const auto& L : layers_) {
    const LayerBytes lb = L->bytes();
    b.exact += lb.exact;
    b.staging += lb.staging;
    b.index += lb.index;
    b.summary += lb.summary;
    b.cold += lb.cold;
  }
  return b;
}

size_t TieredCache::memory_bytes() const { return bytes().stored(); }

std::span<const int64_t> TieredCache::selected_positions(int g) const {
  const HeadScratch& s = scratch_[static_cast<size_t>(g)];
  return {s.sel_pos.data(), static_cast<size_t>(s.n_rows)};
}

ChunkPlan PlanChunk(const TieredParams& p, int64_t first_pos, int64_t n_tokens, int64_t closed_units, int64_t cap) {
  ChunkPlan plan;
  plan.first_pos = first_pos;
  plan.n_tokens = n_tokens;
  plan.window = p.window;
  plan.far_end = std::max<int64_t>(0, first_pos + n_tokens - p.window);
  if (plan.far_end > p.n_sink) {
    plan.unit_lo = p.n_sink / p.unit;
    plan.unit_hi = std::min((plan.far_end + p.unit - 1) / p.unit, closed_units);
  }
  if (cap > 0 && first_pos > cap) {
    plan.capped = true;
    plan.anchor = first_pos - cap;
  }
  const int64_t n_cand = std::max<int64_t>(0, plan.unit_hi - plan.unit_lo);
  plan.top_k = static_cast<int64_t>(p.top_k) * std::min<int64_t>(p.prefill_scale, n_tokens);
  plan.shortlist = p.rerank > 0 ? std::min<int64_t>(n_cand, static_cast<int64_t>(p.rerank) * plan.top_k) : plan.top_k;
  return plan;
}

}  // namespace engine::kv
