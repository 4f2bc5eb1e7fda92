// The selected units' rows from the cold store (TieredCache::GatherRows):
// dequantized on the device, keys re-rotated at their (capped) positions;
// the re-rotated sinks of a capped chunk; the summary rows' weights.
#include "kernels/cuda/internal.h"
#include "kernels/cuda/tiered_internal.h"

namespace kernels::tiered {
namespace {

// Block (selected unit j, KV head g). Cold payloads are read where they
// are (device or mapped pinned memory), each byte once per unit.
__global__ void GatherKernel(TieredAttendArgs a) {
  const int g = blockIdx.y, d = a.layer.head_dim;
  const int64_t j = blockIdx.x;
  const TieredScratch& s = a.scratch;
  if (j >= s.sel_count[g]) return;
  const int64_t u = s.sel_units[static_cast<int64_t>(g) * s.sel_cap + j];
  int64_t lo, hi;
  FarRows(u, a.layer.unit, a.layer.n_sink, a.plan.far_end, &lo, &hi);
  if (hi <= lo) return;
  const int64_t off = static_cast<int64_t>(g) * s.rows_cap + s.row_offset[static_cast<int64_t>(g) * (s.sel_cap + 1) + j];
  const ColdGeometry cold = ColdOf(a.layer);
  const RopeView rope = RopeOf(a.rope, d);
  const uint8_t* head = a.layer.cold[lo / a.layer.block] + g * a.layer.cold_head_bytes;
  const int n = static_cast<int>(hi - lo), half = d / 2;
  const int r0 = static_cast<int>(lo % a.layer.block);
  for (int i = threadIdx.x; i < n * half; i += blockDim.x) {
    const int r = i / half, p = i % half;
    const int64_t pos = lo + r;
    const int64_t rot = a.plan.capped && pos < a.plan.anchor ? a.plan.anchor : pos;
    float ka, kb;
    ColdKeyPair(cold, head, r0 + r, rope, rot, p, &ka, &kb);
    float* k = s.sel_k + (off + r) * d;
    k[PairA(rope, p)] = ka;
    k[PairB(rope, p)] = kb;
  }
  for (int i = threadIdx.x; i < n * d; i += blockDim.x) {
    s.sel_v[(off + i / d) * d + i % d] = ColdV(cold, head, r0 + i / d, i % d);
  }
  for (int r = threadIdx.x; r < n; r += blockDim.x) s.sel_pos[off + r] = static_cast<int32_t>(lo + r);
}

// Block (sink x, KV head g): the pre-RoPE sink rotated at max(x, anchor).
__global__ void CapSinksKernel(TieredAttendArgs a) {
  const int g = blockIdx.y, d = a.layer.head_dim;
  const int64_t x = blockIdx.x;
  const RopeView rope = RopeOf(a.rope, d);
  const int64_t at = (static_cast<int64_t>(g) * a.layer.sink_cap + x) * d;
  const int64_t rot = x < a.plan.anchor ? a.plan.anchor : x;
  for (int p = threadIdx.x; p < d / 2; p += blockDim.x) {
    float ka = a.layer.sink_k_pre[at + PairA(rope, p)], kb = a.layer.sink_k_pre[at + PairB(rope, p)];
    if (p < rope.n_rot_half) {
      float c, sn;
      PairAngle(rope, rot, p, &c, &sn);
      RotatePair(c, sn, &ka, &kb);
    }
    a.scratch.cap_sink_k[at + PairA(rope, p)] = ka;
    a.scratch.cap_sink_k[at + PairB(rope, p)] = kb;
  }
}

__device__ int LowerBound(const int32_t* x, int n, int64_t v) {
  int lo = 0, hi = n;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (x[mid] < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// Per closed block of the summary range: tokens not selected
// (block - selected units * unit); <= 0 masks the row (BuildSummaries).
__global__ void SummaryCountsKernel(TieredAttendArgs a) {
  const int g = blockIdx.y;
  const int64_t blk = a.plan.sum_lo + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (blk >= a.plan.sum_hi) return;
  const int upb = a.layer.block / a.layer.unit;
  const int32_t* sel = a.scratch.sel_units + static_cast<int64_t>(g) * a.scratch.sel_cap;
  const int n = a.scratch.sel_count[g];
  const int n_sel = LowerBound(sel, n, (blk + 1) * upb) - LowerBound(sel, n, blk * upb);
  a.scratch.sum_count[static_cast<int64_t>(g) * a.layer.block_cap + blk] = a.layer.block - n_sel * a.layer.unit;
}

}  // namespace

base::Status LaunchGather(Gpu& gpu, const TieredAttendArgs& a, int64_t max_selected) {
  if (max_selected <= 0) return base::Status::Ok();
  GatherKernel<<<dim3(static_cast<unsigned>(max_selected), static_cast<unsigned>(a.layer.n_head_kv)), 128, 0,
                 StreamOf(gpu)>>>(a);
  return gpu.CheckLaunch("tiered_gather");
}

base::Status LaunchCapSinks(Gpu& gpu, const TieredAttendArgs& a) {
  if (a.plan.n_sink_rows <= 0) return base::Status::Ok();
  CapSinksKernel<<<dim3(static_cast<unsigned>(a.plan.n_sink_rows), static_cast<unsigned>(a.layer.n_head_kv)), 64, 0,
                   StreamOf(gpu)>>>(a);
  return gpu.CheckLaunch("tiered_cap_sinks");
}

base::Status LaunchSummaryCounts(Gpu& gpu, const TieredAttendArgs& a) {
  const int64_t n = a.plan.sum_hi - a.plan.sum_lo;
  if (n <= 0) return base::Status::Ok();
  SummaryCountsKernel<<<dim3(BlocksFor(n, 128), static_cast<unsigned>(a.layer.n_head_kv)), 128, 0, StreamOf(gpu)>>>(a);
  return gpu.CheckLaunch("tiered_summary_counts");
}

}  // namespace kernels::tiered
