// Causal attention over the dense cache, tiled like the tiered cache's
// (tiered/attend_tile.cc): per (KV head, tile of tokens) the keys the tile
// can see are converted and transposed once, then scored four queries at a
// time by the vector kernels of tiered/attend_kernels.h.
//
// Threading: fans out over `pool`; one scratch per pool thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "engine/kv/attention_cache.h"

namespace engine::kv {

struct DenseTileScratch {
  std::vector<float> kt, v, scores, out, row;
};

struct DenseAttendArgs {
  const AttentionCacheConfig* config = nullptr;
  const void* k = nullptr;  // this layer: [n_head_kv][capacity][head_dim], f32 or fp16 per config->type
  const void* v = nullptr;
  const AttentionBatch* batch = nullptr;
};

void DenseAttendTiled(const DenseAttendArgs& args, base::ThreadPool* pool, std::vector<DenseTileScratch>* scratch);

}  // namespace engine::kv
