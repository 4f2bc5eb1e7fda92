// The dense KV cache: every key and value stored exactly (f32) or as fp16.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/kv/attention_cache.h"
#include "engine/quant/fp16.h"
#include "engine/quant/vec.h"

namespace engine {
namespace {

class DenseCache final : public AttentionCache {
 public:
  explicit DenseCache(const AttentionCacheConfig& config) : config_(config) {
    const size_t elem = config.type == KvType::kF32 ? sizeof(float) : sizeof(uint16_t);
    head_stride_ = static_cast<size_t>(config.capacity) * static_cast<size_t>(config.head_dim);
    layer_bytes_ = head_stride_ * static_cast<size_t>(config.n_head_kv) * elem;
    k_.resize(static_cast<size_t>(config.n_layer));
    v_.resize(static_cast<size_t>(config.n_layer));
    for (int l = 0; l < config.n_layer; ++l) {
      k_[static_cast<size_t>(l)].resize(layer_bytes_);
      v_[static_cast<size_t>(l)].resize(layer_bytes_);
    }
  }

  base::Status Store(const KvChunk& chunk) override {
    const int layer = chunk.layer;
    const int64_t first_pos = chunk.first_pos, n_tokens = chunk.n_tokens;
    const float* k = chunk.k;
    const float* v = chunk.v;
    if (first_pos < 0 || n_tokens < 0 || first_pos + n_tokens > config_.capacity) {
      return base::OutOfRange("KV cache holds " + std::to_string(config_.capacity) +
                              " positions; cannot store positions " + std::to_string(first_pos) + ".." +
                              std::to_string(first_pos + n_tokens - 1));
    }
    const int hd = config_.head_dim;
    const int row = config_.n_head_kv * hd;
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int g = 0; g < config_.n_head_kv; ++g) {
        const size_t dst = static_cast<size_t>(g) * head_stride_ + static_cast<size_t>(first_pos + t) * hd;
        const float* ks = k + t * row + g * hd;
        const float* vs = v + t * row + g * hd;
        if (config_.type == KvType::kF32) {
          std::copy_n(ks, hd, KeysF32(layer) + dst);
          std::copy_n(vs, hd, ValuesF32(layer) + dst);
        } else {
          for (int c = 0; c < hd; ++c) {
            KeysF16(layer)[dst + c] = F32ToF16(ks[c]);
            ValuesF16(layer)[dst + c] = F32ToF16(vs[c]);
          }
        }
      }
    }
    if (layer == config_.n_layer - 1) n_positions_ = std::max(n_positions_, first_pos + n_tokens);
    return base::Status::Ok();
  }

  void Attend(const AttentionBatch& b, base::ThreadPool* pool) override {
    const int n_threads = pool->num_threads();
    if (static_cast<int>(scores_.size()) < n_threads) scores_.resize(static_cast<size_t>(n_threads));
    const int64_t max_keys = b.first_pos + b.n_tokens;
    for (auto& s : scores_) {
      if (static_cast<int64_t>(s.size()) < max_keys) s.resize(static_cast<size_t>(config_.capacity));
    }
    const int64_t units = b.n_tokens * config_.n_head;
    // Each (token, head) pair is independent; hand them out in contiguous runs.
    pool->Run([&](int thread) {
      const int64_t begin = units * thread / n_threads;
      const int64_t end = units * (thread + 1) / n_threads;
      float* scores = scores_[static_cast<size_t>(thread)].data();
      for (int64_t u = begin; u < end; ++u) AttendOne(b, u / config_.n_head, static_cast<int>(u % config_.n_head), scores);
    });
  }

  int64_t n_positions() const override { return n_positions_; }
  void Truncate(int64_t n) override { n_positions_ = std::min(n_positions_, std::max<int64_t>(0, n)); }
  const AttentionCacheConfig& config() const override { return config_; }
  size_t memory_bytes() const override { return 2 * layer_bytes_ * static_cast<size_t>(config_.n_layer); }

 private:
  // out[h] = softmax(q[h] . K[0..pos] / sqrt(d)) . V[0..pos] for one token.
  void AttendOne(const AttentionBatch& b, int64_t t, int h, float* scores) const {
    const int hd = config_.head_dim;
    const int g = h / (config_.n_head / config_.n_head_kv);
    const int64_t n_keys = b.first_pos + t + 1;
    const float* q = b.q + (t * config_.n_head + h) * hd;           // [head_dim]
    float* out = b.out + (t * config_.n_head + h) * hd;             // [head_dim]
    const size_t base = static_cast<size_t>(g) * head_stride_;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));

    float max_score = -INFINITY;
    for (int64_t j = 0; j < n_keys; ++j) {  // scores: [n_keys]
      const size_t at = base + static_cast<size_t>(j) * hd;
      float s = config_.type == KvType::kF32 ? DotF32(KeysF32(b.layer) + at, q, hd)
                                             : DotF16F32(KeysF16(b.layer) + at, q, hd);
      s *= scale;
      scores[j] = s;
      max_score = std::max(max_score, s);
    }
    double sum = 0.0;
    for (int64_t j = 0; j < n_keys; ++j) {
      scores[j] = std::exp(scores[j] - max_score);
      sum += scores[j];
    }
    const float inv_sum = static_cast<float>(1.0 / sum);
    std::fill(out, out + hd, 0.0f);
    for (int64_t j = 0; j < n_keys; ++j) {
      const size_t at = base + static_cast<size_t>(j) * hd;
      const float p = scores[j] * inv_sum;
      if (config_.type == KvType::kF32) {
        AxpyF32(p, ValuesF32(b.layer) + at, out, hd);
      } else {
        AxpyF16(p, ValuesF16(b.layer) + at, out, hd);
      }
    }
  }

  float* KeysF32(int l) { return reinterpret_cast<float*>(k_[static_cast<size_t>(l)].data()); }
  float* ValuesF32(int l) { return reinterpret_cast<float*>(v_[static_cast<size_t>(l)].data()); }
  uint16_t* KeysF16(int l) { return reinterpret_cast<uint16_t*>(k_[static_cast<size_t>(l)].data()); }
  uint16_t* ValuesF16(int l) { return reinterpret_cast<uint16_t*>(v_[static_cast<size_t>(l)].data()); }
  const float* KeysF32(int l) const { return reinterpret_cast<const float*>(k_[static_cast<size_t>(l)].data()); }
  const float* ValuesF32(int l) const { return reinterpret_cast<const float*>(v_[static_cast<size_t>(l)].data()); }
  const uint16_t* KeysF16(int l) const { return reinterpret_cast<const uint16_t*>(k_[static_cast<size_t>(l)].data()); }
  const uint16_t* ValuesF16(int l) const { return reinterpret_cast<const uint16_t*>(v_[static_cast<size_t>(l)].data()); }

  AttentionCacheConfig config_;
  size_t head_stride_ = 0;  // elements between kv heads: capacity * head_dim
  size_t layer_bytes_ = 0;
  // Per layer: [n_head_kv][capacity][head_dim], f32 or fp16. Byte vectors
  // keep one code path for both element types.
  std::vector<std::vector<uint8_t>> k_, v_;
  std::vector<std::vector<float>> scores_;  // per-thread scratch: [capacity]
  int64_t n_positions_ = 0;
};

}  // namespace

std::unique_ptr<AttentionCache> NewDenseCache(const AttentionCacheConfig& config) {
  return std::make_unique<DenseCache>(config);
}

}  // namespace engine
