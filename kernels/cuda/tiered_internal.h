// What the tiered_*.cu files share: the launchers TieredAttend strings
// together (tiered_attend.cu), and conversions of tiered.h's views into
// tiered_math.h's. Included only by .cu files.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "base/status.h"
#include "kernels/cuda/tiered_math.h"
#include "kernels/gpu.h"
#include "kernels/tiered.h"

namespace kernels::tiered {

__host__ __device__ inline ColdGeometry ColdOf(const TieredLayerView& l) {
  ColdGeometry c;
  c.tokens = l.block;
  c.head_dim = l.head_dim;
  c.bits = l.cold_bits;
  c.v_group = l.cold_v_group;
  c.k_bytes = l.cold_k_bytes;
  c.head_bytes = l.cold_head_bytes;
  return c;
}

__host__ __device__ inline RopeView RopeOf(const TieredRopeView& r, int head_dim) {
  RopeView v;
  v.digits = r.digits;
  v.freq = r.freq;
  v.n_rot_half = r.n_rot_half;
  v.half = head_dim / 2;
  v.adjacent = r.adjacent;
  return v;
}

__host__ __device__ inline int EnvBytesOf(const TieredLayerView& l) { return l.index_bits == 4 ? l.head_dim : 2 * l.head_dim; }

// Representative queries of the chunk, per KV head (tiered_select.cu).
base::Status LaunchReps(Gpu& gpu, const TieredAttendArgs& a, int n_reps);
// Quest bounds of the candidate units, maxed over the representatives.
base::Status LaunchScore(Gpu& gpu, const TieredAttendArgs& a, int n_reps);
// Per KV head, the `want` best of n entries (scores[g][i], unit units[g][i]
// or unit_lo + i when units is null), written ascending by unit; with
// row_offset, also the selected units' far-row offsets and sel_count.
struct SelectArgs {
  const float* scores = nullptr;    // [n_head_kv][stride]
  const int32_t* units = nullptr;   // [n_head_kv][stride] or null
  int64_t stride = 0;
  int64_t n = 0;
  int64_t want = 0;
  int32_t* out = nullptr;           // [n_head_kv][out_stride]
  int64_t out_stride = 0;
  int32_t* row_offset = nullptr;    // [n_head_kv][out_stride + 1] or null
  int32_t* count = nullptr;         // [n_head_kv] or null
};
base::Status LaunchSelect(Gpu& gpu, const TieredAttendArgs& a, const SelectArgs& s);
// Log-sum-exp of each shortlisted unit's 4-bit keys (short_scores).
base::Status LaunchRerank(Gpu& gpu, const TieredAttendArgs& a, int n_reps);
// Selected rows into sel_k/sel_v/sel_pos; re-rotated sinks; summary counts
// (tiered_gather.cu).
base::Status LaunchGather(Gpu& gpu, const TieredAttendArgs& a, int64_t max_selected);
base::Status LaunchCapSinks(Gpu& gpu, const TieredAttendArgs& a);
base::Status LaunchSummaryCounts(Gpu& gpu, const TieredAttendArgs& a);

}  // namespace kernels::tiered
