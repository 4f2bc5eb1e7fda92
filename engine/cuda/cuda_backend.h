// The CUDA backend's entry point for Context (engine.cc). Host-only.
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "engine/kv/attention_cache.h"
#include "engine/model/forward_pass.h"
#include "engine/model/model.h"

namespace engine::cuda {

struct CudaForwardOptions {
  int device = 0;
  int64_t max_chunk = 256;  // tokens per prefill step
};

// Opens the device, uploads the weights and builds the device tiers in
// front of `cache` (the host cache checkpoints use). Unsupported, with the
// reason, when this binary has no CUDA or the device cannot run the model.
base::Result<std::unique_ptr<ForwardPass>> NewCudaForwardPass(std::shared_ptr<const LoadedModel> model,
                                                              std::unique_ptr<AttentionCache> cache,
                                                              const CudaForwardOptions& options);

}  // namespace engine::cuda
