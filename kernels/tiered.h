// The compressed KV cache's device tiers (DESIGN.md section 4 on the GPU).
// Host-only declarations; see gpu.h for threading and errors. Every
// pointer below is a device pointer unless it says otherwise; a "mapped"
// pointer is pinned host memory the device reads directly (unified
// addressing: the host address is the device address).
//
// The ops reproduce engine::kv::TieredCache::Attend (tiered_attend.cc):
// the caller (engine/cuda/device_tiered_kv.cc) plans a chunk on the host
// (window, far range, candidate units, capping anchor) and the device
// does the rest without a host round trip: representative queries, Quest
// bounds, top-k (with the 4-bit re-rank), the gather of selected rows from
// the cold store, summaries, and one online softmax over every tier.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "kernels/gpu.h"

namespace kernels {

// One layer's device tiers, all KV heads; `d` = head_dim.
struct TieredLayerView {
  int n_head_kv = 0;
  int head_dim = 0;
  int unit = 0;        // tokens per index entry
  int block = 0;       // tokens per closed block
  int index_bits = 4;  // 4 or 8
  int n_sink = 0;      // TieredParams::n_sink
  int64_t sink_cap = 0;        // rows allocated per head for sinks
  uint16_t* sink_k = nullptr;  // [n_head_kv][sink_cap][d] post-RoPE fp16
  uint16_t* sink_v = nullptr;  // [n_head_kv][sink_cap][d] fp16
  float* sink_k_pre = nullptr; // [n_head_kv][sink_cap][d] pre-RoPE f32
  int64_t ring_cap = 0;        // slot of position p: p % ring_cap
  uint16_t* ring_k = nullptr;  // [n_head_kv][ring_cap][d] fp16
  uint16_t* ring_v = nullptr;  // [n_head_kv][ring_cap][d] fp16
  int64_t unit_cap = 0;        // index entries allocated per head
  int8_t* env = nullptr;       // [n_head_kv][unit_cap][env bytes: d (4 bits) or 2d (8 bits)]
  uint32_t* meta = nullptr;    // [n_head_kv][unit_cap] UnitMeta: scale_f16 | l1 << 16
  int64_t block_cap = 0;       // closed blocks allocated per head
  uint16_t* sum_k = nullptr;   // [n_head_kv][block_cap][d] fp16 (null: no summaries)
  uint16_t* sum_v = nullptr;   // [n_head_kv][block_cap][d] fp16
  // [block_cap] the payload of closed block b, n_head_kv head slices of
  // cold_head_bytes each (engine/kv/tiered/cold_codec.h), device or mapped.
  const uint8_t* const* cold = nullptr;
  int cold_bits = 4;            // 4 or 16
  int cold_v_group = 0;
  int64_t cold_k_bytes = 0;
  int64_t cold_head_bytes = 0;
};

// RoPE tables for re-rotating cold keys (engine/kv/tiered/rope_table.h).
struct TieredRopeView {
  const float* digits = nullptr;  // [3][1024][n_rot_half][2] cos, sin
  const double* freq = nullptr;   // [n_rot_half]
  int n_rot_half = 0;
  bool adjacent = true;           // llama pairs (2i, 2i+1); else (i, i + d/2)
};

// Writes rows [first_pos, first_pos + n_tokens) into the ring and, below
// n_sink, the sinks: the same fp16 bits as LayerStore::Append.
struct TieredStoreArgs {
  TieredLayerView layer;
  int64_t first_pos = 0;
  int64_t n_tokens = 0;
  const float* k = nullptr;      // [n_tokens][n_head_kv * d] post-RoPE
  const float* v = nullptr;      // [n_tokens][n_head_kv * d]
  const float* k_pre = nullptr;  // [n_tokens][n_head_kv * d] pre-RoPE
};
base::Status TieredStore(Gpu& gpu, const TieredStoreArgs& args);

// A chunk's plan, made on the host (TieredCache::MakePlan's fields).
struct TieredPlan {
  int64_t first_pos = 0, n_tokens = 0;
  int64_t window = 0;
  int64_t far_end = 0;             // far range of the last query: [n_sink, far_end)
  int64_t unit_lo = 0, unit_hi = 0;  // candidate units
  int64_t top_k = 0;               // units selected per KV head (k)
  int64_t shortlist = 0;           // m: > top_k re-ranks the top m on 4-bit keys
  int64_t anchor = 0;              // far rows rotate at max(x, anchor) when capped
  bool capped = false;
  int64_t n_sink_rows = 0;         // sinks held: min(n_sink, positions stored)
  int64_t ring_lo = 0;             // oldest position the device ring holds
  int64_t sum_lo = 0, sum_hi = 0;  // closed blocks that get a summary row
  int64_t max_rows = 0;            // upper bound of any query's rows (sizes the grid)
};

// Scratch the caller sizes once for its largest layer and chunk; every
// array is per KV head with the given per-head capacity.
struct TieredScratch {
  int reps_cap = 0;               // representative queries per head
  float* reps_f = nullptr;        // [n_head_kv][reps_cap][d]
  uint8_t* reps_q = nullptr;      // [n_head_kv][reps_cap][2d] u8 codes [q+ | q-]
  float* reps_step = nullptr;     // [n_head_kv][reps_cap]
  int32_t* reps_qsum = nullptr;   // [n_head_kv][reps_cap] sum of the codes
  int64_t units_cap = 0;
  float* scores = nullptr;        // [n_head_kv][units_cap]
  int64_t short_cap = 0;
  int32_t* short_units = nullptr; // [n_head_kv][short_cap]
  float* short_scores = nullptr;  // [n_head_kv][short_cap]
  int64_t sel_cap = 0;
  int32_t* sel_units = nullptr;   // [n_head_kv][sel_cap] ascending
  int32_t* sel_count = nullptr;   // [n_head_kv]
  int32_t* row_offset = nullptr;  // [n_head_kv][sel_cap + 1]
  int64_t rows_cap = 0;
  float* sel_k = nullptr;         // [n_head_kv][rows_cap][d] re-rotated
  float* sel_v = nullptr;         // [n_head_kv][rows_cap][d]
  int32_t* sel_pos = nullptr;     // [n_head_kv][rows_cap] ascending
  float* cap_sink_k = nullptr;    // [n_head_kv][sink_cap][d] sinks re-rotated (capped)
  int32_t* sum_count = nullptr;   // [n_head_kv][block_cap] unselected tokens per block
};

struct TieredAttendArgs {
  TieredLayerView layer;
  TieredRopeView rope;
  TieredPlan plan;
  TieredScratch scratch;
  int n_head = 0;            // query heads
  const float* q = nullptr;  // [n_tokens][n_head * d] post-RoPE
  float* out = nullptr;      // [n_tokens][n_head * d]
};
// Enqueues the whole attention of one layer's chunk; no host sync. Uses
// Gpu::Scratch::kAttention for the split-softmax partials.
base::Status TieredAttend(Gpu& gpu, const TieredAttendArgs& args);

// Representative queries per KV head (TieredCache::SelectUnits): per
// group head, the tokens sampled (at most this many) plus the chunk mean.
inline constexpr int kTieredChunkSamples = 4;
// The re-rank scores at most this many representative queries per head.
inline constexpr int kTieredMaxRerankReps = 64;

}  // namespace kernels
