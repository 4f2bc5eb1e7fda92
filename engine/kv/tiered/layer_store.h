// One layer's tiered KV storage, all KV heads: what Store writes and what
// the attention phases read. Holds no attention logic.
//
// Per KV head:
//   sinks    positions [0, n_sink): post-RoPE K and V fp16, pre-RoPE K f32
//            (re-rotated when far positions are capped)
//   ring     the most recent positions, slot = pos % ring_capacity: post-RoPE
//            K and V fp16. Holds at least window + (largest chunk - 1)
//            positions, so every query of a chunk sees its own last W.
//   staging  the open (partial) block: pre-RoPE K, post-RoPE K, V, f32
//   index    per unit of each closed block: int8 envelope + UnitMeta (hot)
//   summary  per closed block: mean post-RoPE K and mean V, fp16 (hot, optional)
// Per closed block (all heads together): the cold payload, immutable once
// written (ColdLayout per head, heads back to back). Payload bytes live in
// slabs owned here, or, after a restore, wherever the fetcher keeps them
// (an mmap'd segment file), checked against their CRC on first read.
//
// Live state (what a checkpoint must write besides closed blocks): sinks,
// ring, staging and n_positions. It is O(n_sink + window) per head.
//
// Threading: Append/Truncate from one thread; const readers may run on
// many threads between them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "engine/kv/attention_cache.h"
#include "engine/kv/kv_block.h"
#include "engine/kv/policy.h"
#include "engine/kv/state_io.h"
#include "engine/kv/tiered/cold_codec.h"
#include "engine/kv/tiered/envelope.h"
#include "engine/kv/tiered/rope_table.h"

namespace engine::kv {

struct LayerGeometry {
  int layer = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int64_t capacity = 0;
  TieredParams params;  // window already clamped to the far-distance cap
};

struct LayerBytes {
  size_t exact = 0;    // sinks + ring
  size_t staging = 0;  // open block
  size_t index = 0;    // envelopes + unit metadata
  size_t summary = 0;
  size_t cold = 0;     // closed block payloads in use
};

class LayerStore {
 public:
  LayerStore(const LayerGeometry& geometry, const RopeTable* rope);

  // Appends positions [chunk.first_pos, +n_tokens); first_pos must equal
  // n_positions() (the cache is append-only; Truncate to roll back).
  base::Status Append(const KvChunk& chunk);
  // Forgets positions >= n. Rolling back further than the ring's slack
  // refills the window from the cold store (4-bit precision).
  void Truncate(int64_t n);

  const LayerGeometry& geometry() const { return geo_; }
  const ColdLayout& cold_layout() const { return cold_; }
  int64_t n_positions() const { return n_; }
  int64_t n_closed_blocks() const { return static_cast<int64_t>(block_payload_.size()); }
  int64_t n_closed_units() const { return n_closed_blocks() * units_per_block_; }
  int units_per_block() const { return units_per_block_; }

  const uint16_t* sink_k(int h) const { return heads_[h].sink_k.data(); }      // [n_sink][d]
  const uint16_t* sink_v(int h) const { return heads_[h].sink_v.data(); }      // [n_sink][d]
  const float* sink_k_pre(int h) const { return heads_[h].sink_k_pre.data(); }  // [n_sink][d]
  int64_t ring_capacity() const { return ring_cap_; }
  int64_t ring_lo() const { return ring_lo_; }  // oldest position the ring holds
  const uint16_t* ring_k(int h) const { return heads_[h].ring_k.data(); }      // [ring_capacity][d]
  const uint16_t* ring_v(int h) const { return heads_[h].ring_v.data(); }
  const int8_t* env(int h) const { return heads_[h].env.data(); }  // [n_units][EnvBytes(d, index_bits)]
  int env_bytes() const { return EnvBytes(geo_.head_dim, geo_.params.index_bits); }
  const UnitMeta* meta(int h) const { return heads_[h].meta.data(); }          // [n_units]
  const uint16_t* summary_k(int h) const { return heads_[h].sum_k.data(); }    // [n_blocks][d]
  const uint16_t* summary_v(int h) const { return heads_[h].sum_v.data(); }
  // Cold payload of closed block b: n_head_kv slices of cold_layout().head_bytes().
  // A payload restored in place is checked against its CRC the first time
  // any thread reads it; one that fails reads as zeros and sets fault(), so
  // its bytes are never used.
  const uint8_t* cold_block(int64_t b) const {
    const size_t i = static_cast<size_t>(b);
    if (cold_state_[i].load(std::memory_order_acquire) == kColdTrusted) return block_payload_[i];
    return CheckCold(b);
  }
  size_t block_payload_bytes() const { return cold_.head_bytes() * static_cast<size_t>(geo_.n_head_kv); }

  LayerBytes bytes() const;

  // --- Checkpoints (layer_store_checkpoint.cc) ---
  // The live state: parameters, position, ring, sinks and the open block.
  void ExportLive(StateWriter* w) const;
  // Restores an empty store: the live state first (it sets n_positions),
  // then closed blocks 0, 1, ... n_positions / block - 1 in order, in the
  // format of block_format.h. While block.keep_alive holds the bytes,
  // neither part is read here: the hot part goes into the index at
  // EnsureIndex, the cold payload is checked on first read. Without
  // keep_alive both are checked and copied now. A block of the wrong size
  // or order is a Corruption; call Clear() after a failure.
  base::Status RestoreLive(StateReader* r);
  base::Status RestoreBlock(int64_t index, const KvBlockView& block);
  // Moves the hot parts of blocks restored in place into the index,
  // checking each one's CRC and header; a block that fails reads as zeros
  // and sets fault(). The owner calls it before anything that reads or
  // grows the index (Append and Truncate call it themselves); until then
  // env(), meta() and the summaries cover only blocks loaded so far.
  void EnsureIndex();
  // Forgets everything (positions, blocks, faults), keeping allocations.
  void Clear();
  // The first cold payload that failed its check, if any (sticky until
  // Clear or Truncate(0)).
  base::Status fault() const;

 private:
  struct Head {
    std::vector<uint16_t> sink_k, sink_v;  // [n_sink][d]
    std::vector<float> sink_k_pre;         // [n_sink][d]
    std::vector<uint16_t> ring_k, ring_v;  // [ring_cap][d]
    std::vector<float> stage_k_pre, stage_k, stage_v;  // [block][d]
    std::vector<int8_t> env;               // [n_units][env_bytes]
    std::vector<UnitMeta> meta;            // [n_units]
    std::vector<uint16_t> sum_k, sum_v;    // [n_blocks][d]
  };

  // States of a cold payload (cold_state_).
  static constexpr uint8_t kColdTrusted = 0;  // made here, or checked
  static constexpr uint8_t kColdPending = 1;  // restored in place, not yet checked
  static constexpr uint8_t kColdBad = 2;      // failed its check

  // A restored block's hot part, ClosedBlockHotBytes(*this) long. 16 bytes:
  // a million-token restore holds one per block.
  struct PendingHot {
    const char* hot;  // kept alive by keep_alive_
    uint32_t crc = 0;
    bool check_crc = false;
  };
  base::Status LoadHot(int64_t index, const PendingHot& block);
  void EnsureRing(int64_t needed);
  void CloseBlock();
  uint8_t* SlotForBlock(int64_t b);
  const uint8_t* CheckCold(int64_t b) const;
  // Post-RoPE K, V of position pos from the cold store (closed block).
  void ReadCold(int h, int64_t pos, float* k_post, float* k_pre, float* v) const;

  LayerGeometry geo_;
  const RopeTable* rope_;
  ColdLayout cold_;
  int units_per_block_ = 0;
  std::vector<Head> heads_;
  int64_t n_ = 0;
  int64_t ring_cap_ = 0;
  int64_t ring_lo_ = 0;
  std::vector<const uint8_t*> block_payload_;  // [n_closed_blocks]
  // Per block that can exist: kCold* state and, for restored payloads, the
  // expected CRC32C.
  std::unique_ptr<std::atomic<uint8_t>[]> cold_state_;
  std::unique_ptr<uint32_t[]> cold_crc_;
  std::unique_ptr<uint8_t[]> zero_block_;  // what a bad payload reads as
  std::vector<std::shared_ptr<const void>> keep_alive_;  // owners of in-place payloads
  // Hot parts of blocks [n_closed_blocks() - size, n_closed_blocks()) not
  // yet in the index (restored in place, EnsureIndex pending).
  std::vector<PendingHot> pending_hot_;
  mutable std::mutex fault_mu_;
  mutable base::Status fault_;
  std::vector<std::unique_ptr<uint8_t[]>> slabs_;  // null until a block needs it
  int64_t slab_blocks_ = 0;  // blocks per slab
};

}  // namespace engine::kv
