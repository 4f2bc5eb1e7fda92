// ForwardPass: what a Context drives, whichever backend computes it.
//
// Two implementations: the CPU Transformer (transformer.h), the reference
// and test oracle, and the CUDA one (engine/cuda/cuda_transformer.h). Both
// keep the KV state a checkpoint exports in a host AttentionCache of the
// same kinds and formats, so checkpoints do not depend on the backend.
//
// Threading: one thread uses a ForwardPass at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/kv/attention_cache.h"
#include "engine/sampling/sampler.h"

namespace engine {

class ForwardPass {
 public:
  virtual ~ForwardPass() = default;

  // Appends `tokens` at positions n_past().. ; afterwards last_logits()
  // holds the next-token logits. all_logits, if non-null, receives
  // [tokens.size()][n_vocab].
  virtual base::Status Forward(std::span<const int32_t> tokens, float* all_logits) = 0;
  virtual std::span<const float> last_logits() const = 0;
  virtual int64_t n_past() const = 0;
  // Forgets positions >= n (n <= n_past()).
  virtual void Truncate(int64_t n) = 0;

  // The cache checkpoints export from and restore into.
  virtual AttentionCache& cache() = 0;
  virtual const AttentionCache& cache() const = 0;
  // After cache().Restore: takes the restored position and the logits the
  // checkpointed sequence ended with (and, on a device, uploads the state).
  virtual base::Status SetRestoredState(std::span<const float> last_logits) = 0;

  // The k most likely next tokens after the last Forward, most likely
  // first, with their probabilities at `temperature` (> 0).
  virtual base::Status TopTokens(int k, float temperature, std::vector<TokenProb>* out) = 0;

  // "cpu" or "cuda:<device>".
  virtual std::string backend_name() const = 0;
  // KV bytes held: host cache, plus device tiers on a device.
  virtual size_t kv_bytes() const { return cache().memory_bytes(); }
};

// What both backends refuse before any work: no tokens, an id outside
// [0, n_vocab), or more tokens than the context has room for.
base::Status CheckForwardInput(std::span<const int32_t> tokens, int n_vocab, int64_t n_past, int64_t capacity);

// The top k of `logits` (ties: lower id first) with softmax probabilities
// at `temperature`, on the CPU: the reference for the device's TopK.
void TopTokensOf(std::span<const float> logits, int k, float temperature, std::vector<TokenProb>* out);

}  // namespace engine
