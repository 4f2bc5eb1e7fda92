#include "engine/kv/bench/recorder.h"

#include <algorithm>

namespace engine::kv {
namespace {

void Put(std::vector<float>* dst, int64_t first, int64_t n, int64_t width, const float* src) {
  const size_t end = static_cast<size_t>((first + n) * width);
  if (dst->size() < end) dst->resize(end);
  std::copy_n(src, n * width, dst->begin() + first * width);
}

}  // namespace

RecordingCache::RecordingCache(const AttentionCacheConfig& config) {
  AttentionCacheConfig f32 = config;
  f32.type = KvType::kF32;
  inner_ = NewDenseCache(f32);
  layers_.resize(static_cast<size_t>(config.n_layer));
}

base::Status RecordingCache::Store(const KvChunk& c) {
  RETURN_IF_ERROR(inner_->Store(c));
  const AttentionCacheConfig& cfg = inner_->config();
  const int64_t w = static_cast<int64_t>(cfg.n_head_kv) * cfg.head_dim;
  RecordedLayer& L = layers_[static_cast<size_t>(c.layer)];
  Put(&L.k, c.first_pos, c.n_tokens, w, c.k);
  Put(&L.v, c.first_pos, c.n_tokens, w, c.v);
  if (c.k_pre_rope) Put(&L.k_pre, c.first_pos, c.n_tokens, w, c.k_pre_rope);
  return base::Status::Ok();
}

void RecordingCache::Attend(const AttentionBatch& b, base::ThreadPool* pool) {
  const AttentionCacheConfig& cfg = inner_->config();
  Put(&layers_[static_cast<size_t>(b.layer)].q, b.first_pos, b.n_tokens,
      static_cast<int64_t>(cfg.n_head) * cfg.head_dim, b.q);
  inner_->Attend(b, pool);
}

void RecordingCache::Truncate(int64_t n) { inner_->Truncate(n); }

}  // namespace engine::kv
