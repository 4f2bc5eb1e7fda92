// The decoder-only transformer forward pass (llama, qwen2, qwen3).
//
// A Transformer is the mutable inference state for one sequence: the KV
// cache, the position, and scratch buffers sized once for the largest
// chunk. The model it reads is immutable and may be shared.
//
// Threading: one thread calls Forward at a time; Forward fans out over the
// thread pool it was given. Steady-state Forward calls do not allocate.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "engine/kv/attention_cache.h"
#include "engine/model/forward_pass.h"
#include "engine/model/model.h"
#include "engine/quant/matmul.h"

namespace engine {

struct TransformerOptions {
  int64_t max_chunk = 256;  // tokens per prefill step (matrix-matrix work)
};

class Transformer final : public ForwardPass {
 public:
  // `pool` is not owned and must outlive the Transformer.
  Transformer(std::shared_ptr<const LoadedModel> model, std::unique_ptr<AttentionCache> cache,
              base::ThreadPool* pool, const TransformerOptions& options);

  // Appends `tokens` at positions n_past().. and runs them through the
  // model in chunks. Afterwards last_logits() holds the next-token logits
  // after the final token. If all_logits is non-null it receives
  // [tokens.size()][n_vocab] logits, one row per input token.
  base::Status Forward(std::span<const int32_t> tokens, float* all_logits) override;

  std::span<const float> last_logits() const override { return last_logits_; }
  int64_t n_past() const override { return n_past_; }
  // Forgets positions >= n (n <= n_past()).
  void Truncate(int64_t n) override;
  // After the cache was restored from a checkpoint: the position it holds
  // and the logits the checkpointed sequence ended with.
  base::Status SetRestoredState(std::span<const float> last_logits) override {
    n_past_ = cache_->n_positions();
    std::copy(last_logits.begin(), last_logits.end(), last_logits_.begin());
    return base::Status::Ok();
  }
  base::Status TopTokens(int k, float temperature, std::vector<TokenProb>* out) override;
  std::string backend_name() const override { return "cpu"; }

  const LoadedModel& model() const { return *model_; }
  AttentionCache& cache() override { return *cache_; }
  const AttentionCache& cache() const override { return *cache_; }

 private:
  void ForwardChunk(const int32_t* tokens, int64_t n, float* logits);
  void Attention(int layer, int64_t n);
  void FeedForward(int layer, int64_t n);

  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<AttentionCache> cache_;
  base::ThreadPool* pool_;
  TransformerOptions options_;
  int64_t n_past_ = 0;

  // Activations for one chunk of n <= max_chunk tokens.
  std::vector<float> x_;        // [n][n_embd]   residual stream
  std::vector<float> xn_;       // [n][n_embd]   normed input of a sub-layer
  std::vector<float> q_;        // [n][n_q]
  std::vector<float> k_;        // [n][n_kv]
  std::vector<float> v_;        // [n][n_kv]
  std::vector<float> k_pre_rope_;  // [n][n_kv]   only when the cache wants it
  bool keep_pre_rope_k_ = false;
  std::vector<float> attn_;     // [n][n_q]      heads concatenated
  std::vector<float> proj_;     // [n][n_embd]   sub-layer output
  std::vector<float> gate_;     // [n][n_ff]
  std::vector<float> up_;       // [n][n_ff]
  std::vector<float> rope_;     // [n][head_dim] cos/sin per position
  std::vector<float> last_logits_;  // [n_vocab]
  MatmulScratch scratch_;
};

}  // namespace engine
