#include "engine/kv/factory.h"

#include "base/log.h"
#include "engine/kv/tiered/tiered_cache.h"

namespace engine {

KvRope KvRopeFor(const HParams& hp) {
  KvRope r;
  r.n_rot = hp.n_rot > 0 ? hp.n_rot : hp.head_dim;
  r.freq_base = hp.rope_freq_base;
  r.freq_scale = hp.rope_freq_scale;
  r.style = hp.rope_style;
  r.n_ctx_train = hp.n_ctx_train;
  return r;
}

base::Result<std::unique_ptr<AttentionCache>> NewAttentionCache(const AttentionCacheConfig& config,
                                                                const KvPolicy& policy, const KvRope& rope) {
  if (policy.kind == KvPolicy::Kind::kDense) {
    if (rope.n_ctx_train > 0 && config.capacity > rope.n_ctx_train) {
      LOG(WARNING) << "dense KV cache of " << config.capacity << " positions on a model trained for "
                   << rope.n_ctx_train << ": positions past that are out of distribution (use --kv tiered)";
    }
    return NewDenseCache(config);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<kv::TieredCache> cache, kv::TieredCache::Create(config, policy, rope));
  return std::unique_ptr<AttentionCache>(std::move(cache));
}

}  // namespace engine
