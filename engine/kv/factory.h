// Builds the KV cache a KvPolicy asks for.
//
// The tiered cache needs the model's RoPE to re-rotate pre-RoPE cold keys
// when they are loaded, and its trained context for far-position capping.
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "engine/kv/attention_cache.h"
#include "engine/kv/policy.h"
#include "engine/model/hparams.h"

namespace engine {

struct KvRope {
  int n_rot = 0;                 // rotated channels per head (== head_dim here)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;       // theta_i = pos * freq_scale * base^(-2i/n_rot)
  RopeStyle style = RopeStyle::kAdjacent;
  int64_t n_ctx_train = 0;       // from the model metadata; KvPolicy::trained_ctx overrides
};

KvRope KvRopeFor(const HParams& hp);

// Dense: NewDenseCache(config). Tiered: validates the policy against the
// geometry (head_dim even, layer indices) and builds the tiered cache.
base::Result<std::unique_ptr<AttentionCache>> NewAttentionCache(const AttentionCacheConfig& config,
                                                                const KvPolicy& policy, const KvRope& rope);

}  // namespace engine
