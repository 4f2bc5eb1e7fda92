// A dense f32 cache that also records what the forward pass hands it:
// real Q, K (pre- and post-RoPE) and V per layer, for operator-level
// fidelity measurements of the tiered cache.
//
// Threading: as AttentionCache (one thread).
#pragma once

#include <memory>
#include <vector>

#include "engine/kv/attention_cache.h"

namespace engine::kv {

struct RecordedLayer {
  std::vector<float> q;      // [n][n_head * d]
  std::vector<float> k;      // [n][n_head_kv * d], post-RoPE
  std::vector<float> k_pre;  // [n][n_head_kv * d]
  std::vector<float> v;      // [n][n_head_kv * d]
};

class RecordingCache final : public AttentionCache {
 public:
  explicit RecordingCache(const AttentionCacheConfig& config);

  base::Status Store(const KvChunk& chunk) override;
  void Attend(const AttentionBatch& batch, base::ThreadPool* pool) override;
  bool wants_pre_rope_keys() const override { return true; }
  int64_t n_positions() const override { return inner_->n_positions(); }
  void Truncate(int64_t n) override;
  const AttentionCacheConfig& config() const override { return inner_->config(); }
  size_t memory_bytes() const override { return inner_->memory_bytes(); }
  // Checkpoints pass through to the dense cache; the recording is not kept.
  int64_t block_tokens() const override { return inner_->block_tokens(); }
  int64_t n_closed_blocks(int layer) const override { return inner_->n_closed_blocks(layer); }
  void ExportBlock(int layer, int64_t index, KvBlock* out) const override {
    inner_->ExportBlock(layer, index, out);
  }
  void ExportLive(std::string* out) const override { inner_->ExportLive(out); }
  base::Status Restore(std::string_view live, const KvBlockFetcher& fetch) override {
    return inner_->Restore(live, fetch);
  }
  base::Status fault() const override { return inner_->fault(); }

  const RecordedLayer& layer(int l) const { return layers_[static_cast<size_t>(l)]; }

 private:
  std::unique_ptr<AttentionCache> inner_;
  std::vector<RecordedLayer> layers_;
};

}  // namespace engine::kv
