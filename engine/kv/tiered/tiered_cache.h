// The tiered (compressed) KV cache of DESIGN.md section 4.
//
// Per layer and KV head, one softmax over:
//   exact     sinks [0, n_sink) and the window [p+1-W, p], fp16
//   selected  the top_k units by Quest bound (maxed over the KV group's
//             query heads), optionally re-ranked: the top rerank * top_k
//             by bound are re-scored by the log-sum-exp of their logits on
//             the 4-bit keys; dequantized from the cold store, re-rotated
//   summary   (optional) one row per unselected closed block: mean key with
//             log-weight ln(count), mean value
// A chunk of queries [f, f+n) gets one selection per KV head, scored with
// representative queries (per head of the group: kChunkSamples evenly
// spaced tokens' queries, the last included, and the chunk mean); each
// query then attends the selected rows that lie in its own far range
// [n_sink, p+1-W). With n = 1 (decode) the score is exactly the per-head
// Quest bound (then the re-rank).
//
// Far-position capping: when a chunk starts past far_distance_cap, far rows
// (sinks, selected) are rotated at max(x, f - cap) from their pre-RoPE keys,
// so no relative distance exceeds cap + n - 1; the window is clamped to cap.
//
// Checkpointing: closed blocks are immutable once written and never change
// until a Truncate drops them (block_format.h: the self-contained byte
// format). The live state is LayerStore's sinks + ring + staging +
// n_positions: O(n_sink + window) per layer and KV head.
//
// Threading: one thread calls Store/Attend/Truncate/ExportBlock/Restore;
// Attend fans out over the pool (KV heads x units for scoring and
// gathering, tokens x query heads for the softmax). Attend does not
// allocate once warmed up at the largest chunk. After a Restore, a layer's
// selection index is read from the restored bytes on its first Store,
// Attend, Truncate or ExportBlock (LayerStore::EnsureIndex), so a resume
// costs the live state, not every block.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/kv/attention_cache.h"
#include "engine/kv/factory.h"
#include "engine/kv/tiered/attend_kernels.h"
#include "engine/kv/tiered/layer_store.h"
#include "engine/kv/tiered/rope_table.h"

namespace engine::kv {

// What the last Attend did (KV head 0, last query of the chunk).
struct AttendStats {
  int64_t candidate_units = 0;  // units in the far range
  int64_t selected_units = 0;
  int64_t exact_rows = 0;       // sinks + window + selected rows of the last query
  int64_t summary_rows = 0;
  bool capped = false;          // far positions were re-rotated
};

struct CacheBytes {
  size_t exact = 0, staging = 0, index = 0, summary = 0, cold = 0;
  size_t hot() const { return exact + staging + index + summary; }  // read every step
  size_t stored() const { return hot() + cold; }
};

// What one chunk of queries [first_pos, first_pos + n_tokens) reads past
// its exact tiers, and its selection budget: TieredCache's plan, shared
// with the CUDA tiers so that both backends range, cap and select alike.
struct ChunkPlan {
  int64_t first_pos = 0, n_tokens = 0;
  int64_t window = 0;
  int64_t far_end = 0;               // far range of the chunk's last query: [n_sink, far_end)
  int64_t unit_lo = 0, unit_hi = 0;  // candidate units
  int64_t anchor = 0;                // far rows rotate at max(x, anchor) when capped
  bool capped = false;
  int64_t top_k = 0;      // units selected; a chunk serves many queries, so a larger budget
  int64_t shortlist = 0;  // units scored on their 4-bit keys first (top_k without the re-rank)
};

// closed_units: units of the closed blocks attention may read; cap: the
// far-distance cap (0: never re-rotate).
ChunkPlan PlanChunk(const TieredParams& p, int64_t first_pos, int64_t n_tokens, int64_t closed_units, int64_t cap);

// Queries sampled per group head to score a chunk's one selection.
inline constexpr int kChunkSamples = 4;

class TieredCache final : public AttentionCache {
 public:
  static base::Result<std::unique_ptr<TieredCache>> Create(const AttentionCacheConfig& config,
                                                           const KvPolicy& policy, const KvRope& rope);

  base::Status Store(const KvChunk& chunk) override;
  void Attend(const AttentionBatch& batch, base::ThreadPool* pool) override;
  bool wants_pre_rope_keys() const override { return true; }
  int64_t n_positions() const override { return n_positions_; }
  void Truncate(int64_t n) override;
  const AttentionCacheConfig& config() const override { return config_; }
  size_t memory_bytes() const override;

  // Checkpoints (tiered_checkpoint.cc). Every layer closes blocks of the
  // same size, so a block's positions follow from its index.
  int64_t block_tokens() const override;
  int64_t n_closed_blocks(int layer) const override;
  void ExportBlock(int layer, int64_t index, KvBlock* out) const override;
  void ExportLive(std::string* out) const override;
  base::Status Restore(std::string_view live, const KvBlockFetcher& fetch) override;
  base::Status fault() const override;

  CacheBytes bytes() const;
  const AttendStats& last_stats() const { return stats_; }
  const LayerStore& layer(int l) const { return *layers_[static_cast<size_t>(l)]; }
  int64_t far_distance_cap() const { return cap_; }
  // The table that re-rotates cold keys (the CUDA tiers upload it).
  const RopeTable& rope_table() const { return rope_; }
  // Loads every layer's pending restored index now (LayerStore::EnsureIndex),
  // so that layer(l) covers every closed block: the CUDA tiers mirror it.
  void EnsureIndexes();
  // Positions (ascending) of the rows the last Attend selected for KV head g,
  // before each query's own far-range clip.
  std::span<const int64_t> selected_positions(int g) const;

 private:
  struct HeadScratch {
    std::vector<QuantQuery> reps;             // [(kChunkSamples + 1) * group]
    std::vector<float> reps_f;                // [(kChunkSamples + 1) * group][d], the same in f32
    int n_reps = 0;
    std::vector<float> scores;                // [candidate units]
    std::vector<std::pair<float, int32_t>> order;  // [candidate units]
    std::vector<int32_t> selected;            // units, ascending
    std::vector<int64_t> row_offset;          // [selected + 1]
    std::vector<float> sel_k, sel_v;          // [rows][d], K re-rotated
    std::vector<int64_t> sel_pos;             // [rows]
    int64_t n_rows = 0;
    std::vector<float> cap_sink_k;            // [n_sink][d] re-rotated sinks
    std::vector<float> sum_k, sum_v, sum_logw;  // summary rows [rows][d], [rows]
    int64_t n_sum = 0;
  };
  using Plan = ChunkPlan;

  TieredCache(const AttentionCacheConfig& config, const KvRope& rope, int64_t cap);
  void SelectUnits(const LayerStore& L, const AttentionBatch& b, const Plan& plan, base::ThreadPool* pool);
  // Log-sum-exp over unit u's far rows of its 4-bit keys, maxed over the
  // representative queries of KV head g.
  float RerankScore(const LayerStore& L, const Plan& plan, int g, int64_t u) const;
  void GatherRows(const LayerStore& L, const Plan& plan, base::ThreadPool* pool);
  void BuildSummaries(const LayerStore& L, const Plan& plan, int g);
  void AttendRows(const LayerStore& L, const AttentionBatch& b, const Plan& plan, base::ThreadPool* pool);
  // The softmax over every tier for KV head g's query heads and tokens
  // [t0, t1) of the batch (attend_tile.cc).
  struct TileScratch {
    std::vector<float> kt;      // [row blocks][d][kRowBlock] keys of the tile's rows, transposed
    std::vector<float> v;       // [sink + window rows][d] values the tile converts from fp16
    std::vector<float> scores;  // [kQueryBatch][rows]
    std::vector<float> out;     // [kQueryBatch][d]
  };
  void AttendTile(const LayerStore& L, const AttentionBatch& b, const Plan& plan, int g, int64_t t0, int64_t t1,
                  TileScratch* scratch) const;

  AttentionCacheConfig config_;
  RopeTable rope_;
  int64_t cap_ = 0;  // far-distance cap; 0: never re-rotate
  std::vector<std::unique_ptr<LayerStore>> layers_;
  std::vector<HeadScratch> scratch_;           // [n_head_kv], shared by the layers
  std::vector<TileScratch> tile_scratch_;       // per pool thread
  int64_t n_positions_ = 0;
  AttendStats stats_;
};

}  // namespace engine::kv
