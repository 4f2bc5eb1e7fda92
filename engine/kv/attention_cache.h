// The seam between the forward pass and the KV cache.
//
// The forward pass hands each layer's new keys and values to the cache and
// asks it for the attention output of the new queries. The dense cache
// stores everything exactly; the tiered (compressed) cache of DESIGN.md
// section 4 implements the same interface.
//
// Threading: a cache belongs to one inference context and is used by one
// thread at a time; Attend may fan work out over the pool it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/thread_pool.h"
#include "engine/kv/kv_block.h"
#include "engine/kv/kv_type.h"

namespace engine {

struct AttentionCacheConfig {
  int n_layer = 0;
  int n_head = 0;     // query heads
  int n_head_kv = 0;  // key/value heads (GQA groups)
  int head_dim = 0;
  int64_t capacity = 0;  // most positions the cache can hold
  KvType type = KvType::kF16;
};

// One layer's new keys and values for a chunk of consecutive positions.
struct KvChunk {
  int layer = 0;
  int64_t first_pos = 0;  // position of the chunk's first token
  int64_t n_tokens = 0;
  const float* k = nullptr;           // [n_tokens][n_head_kv * head_dim], RoPE applied
  const float* v = nullptr;           // [n_tokens][n_head_kv * head_dim]
  const float* k_pre_rope = nullptr;  // [n_tokens][n_head_kv * head_dim], before RoPE
};

// One layer's queries for a chunk of consecutive positions.
struct AttentionBatch {
  int layer = 0;
  int64_t first_pos = 0;  // position of the chunk's first token
  int64_t n_tokens = 0;
  const float* q = nullptr;  // [n_tokens][n_head * head_dim], RoPE applied
  float* out = nullptr;      // [n_tokens][n_head * head_dim]
};

class AttentionCache {
 public:
  virtual ~AttentionCache() = default;

  // Stores one layer's keys and values of positions
  // [first_pos, first_pos + n_tokens).
  virtual base::Status Store(const KvChunk& chunk) = 0;

  // Causal attention: query i (at first_pos + i) sees stored positions
  // 0..first_pos + i. The batch's own keys must have been stored first.
  virtual void Attend(const AttentionBatch& batch, base::ThreadPool* pool) = 0;

  // Whether Store needs KvChunk::k_pre_rope (costs a copy per chunk).
  virtual bool wants_pre_rope_keys() const { return false; }

  // Positions held (after the last layer of the last chunk was stored).
  virtual int64_t n_positions() const = 0;
  // Forgets positions >= n, e.g. to roll back a rejected continuation.
  virtual void Truncate(int64_t n) = 0;
  virtual const AttentionCacheConfig& config() const = 0;
  // Bytes of K/V storage currently allocated.
  virtual size_t memory_bytes() const = 0;

  // --- Checkpoints (Context's checkpoint API, engine.h) ---
  // Closed blocks of `block_tokens()` positions each, per layer, are
  // immutable once closed; the live state is everything else.
  virtual int64_t block_tokens() const = 0;
  virtual int64_t n_closed_blocks(int layer) const = 0;
  virtual void ExportBlock(int layer, int64_t index, KvBlock* out) const = 0;
  virtual void ExportLive(std::string* out) const = 0;
  // Restores into a cache that holds no positions. On error the cache is
  // left holding none.
  virtual base::Status Restore(std::string_view live, const KvBlockFetcher& fetch) = 0;
  // Not OK once the cache has met restored bytes that fail their check
  // (kv_block.h: cold payloads are checked on first read). Attend then
  // used zeros in their place, so the caller must discard its results.
  // Sticky until Restore or Truncate(0).
  virtual base::Status fault() const { return base::Status::Ok(); }

  // Positions [first, first + n) of one layer as f32 rows, k and v:
  // [n][n_head_kv * head_dim] (how a device mirror reloads after a
  // restore). Only a cache that keeps every row exactly can; the others
  // answer Unsupported.
  virtual base::Status ReadRows(int /*layer*/, int64_t /*first*/, int64_t /*n*/, float* /*k*/,
                                float* /*v*/) const {
    return base::Unsupported("this KV cache does not keep every row exactly");
  }
};

// Every position kept at full resolution (f32 or f16).
std::unique_ptr<AttentionCache> NewDenseCache(const AttentionCacheConfig& config);

}  // namespace engine
