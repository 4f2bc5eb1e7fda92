// Selection on the device (TieredCache::SelectUnits): representative
// queries, Quest bounds, exact top-k by radix select, and the re-rank of a
// shortlist on the 4-bit keys.
#include <cfloat>

#include "kernels/cuda/internal.h"
#include "kernels/cuda/tiered_internal.h"

namespace kernels::tiered {
namespace {

constexpr int kRepThreads = 256;  // >= kMaxHeadDim: one thread per channel

__device__ float BlockMax(float x, float* red) {
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = x;
  __syncthreads();
  float r = 0.0f;
  for (int w = 0; w < kRepThreads / 32; ++w) r = fmaxf(r, red[w]);
  __syncthreads();
  return r;
}

__device__ int BlockSum(int x, int* red) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = x;
  __syncthreads();
  int r = 0;
  for (int w = 0; w < kRepThreads / 32; ++w) r += red[w];
  __syncthreads();
  return r;
}

// Block (rep, g). Per group head j: `samples` tokens (the last first, then
// evenly spaced back to the first), then, for a chunk, the mean.
__global__ void RepsKernel(TieredAttendArgs a, int n_reps) {
  const int g = blockIdx.y, r = blockIdx.x, c = threadIdx.x;
  const int d = a.layer.head_dim, group = a.n_head / a.layer.n_head_kv;
  const int64_t n = a.plan.n_tokens;
  const int64_t samples = n < kTieredChunkSamples ? n : kTieredChunkSamples;
  const int per_head = static_cast<int>(samples) + (n > 1 ? 1 : 0);
  const int j = r / per_head, i = r % per_head;
  const int h = g * group + j;
  float x = 0.0f;
  if (c < d) {
    if (i < samples) {
      const int64_t den = samples - 1 > 1 ? samples - 1 : 1;
      const int64_t t = n - 1 - i * (n - 1) / den;
      x = a.q[(t * a.n_head + h) * d + c];
    } else {
      for (int64_t t = 0; t < n; ++t) x = AddRn(x, a.q[(t * a.n_head + h) * d + c]);
      x = x / static_cast<float>(n);
    }
  }
  __shared__ float red_f[kRepThreads / 32];
  __shared__ int red_i[kRepThreads / 32];
  const float amax = BlockMax(c < d ? fabsf(x) : 0.0f, red_f);
  const float step = QueryStep(amax);
  const float inv = 1.0f / step;
  const int code = c < d ? QueryCode(x, inv) : 0;
  const int64_t at = static_cast<int64_t>(g) * a.scratch.reps_cap + r;
  if (c < d) {
    a.scratch.reps_f[at * d + c] = x;
    a.scratch.reps_q[at * 2 * d + c] = static_cast<uint8_t>(code > 0 ? code : 0);
    a.scratch.reps_q[at * 2 * d + d + c] = static_cast<uint8_t>(code < 0 ? -code : 0);
  }
  const int qsum = BlockSum(code < 0 ? -code : code, red_i);
  if (c == 0) {
    a.scratch.reps_step[at] = step;
    a.scratch.reps_qsum[at] = qsum;
  }
  (void)n_reps;
}

// One thread per candidate unit: the int-path bound maxed over the reps
// (EnvDot reads the unit's envelope through L1 once per rep).
__global__ void ScoreKernel(TieredAttendArgs a, int n_reps) {
  const int g = blockIdx.y;
  const int64_t n_cand = a.plan.unit_hi - a.plan.unit_lo;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_cand) return;
  const int d = a.layer.head_dim, eb = EnvBytesOf(a.layer);
  const int64_t u = a.plan.unit_lo + i;
  const int64_t hu = static_cast<int64_t>(g) * a.layer.unit_cap + u;
  const int8_t* env = a.layer.env + hu * eb;
  const uint32_t meta = a.layer.meta[hu];
  float best = -INFINITY;
  for (int r = 0; r < n_reps; ++r) {
    const int64_t at = static_cast<int64_t>(g) * a.scratch.reps_cap + r;
    const int dot = EnvDot(a.scratch.reps_q + at * 2 * d, a.scratch.reps_qsum[at], env, d, a.layer.index_bits);
    best = fmaxf(best, QueryBound(a.scratch.reps_step[at], dot, meta));
  }
  a.scratch.scores[static_cast<int64_t>(g) * a.scratch.units_cap + i] = MulRn(UnitScale(meta), best);
}

constexpr int kSelectThreads = 1024;

__device__ uint64_t KeyAt(const SelectArgs& s, int g, int64_t i, int64_t unit_lo) {
  const int64_t at = static_cast<int64_t>(g) * s.stride + i;
  const int64_t unit = s.units != nullptr ? s.units[at] : unit_lo + i;
  return SelectKey(s.scores[at], unit);
}

// Writes the flagged entries' units in input order; returns how many.
// Every thread of the block calls it with the same tile base.
__device__ int CompactTile(bool flag, int32_t unit, int32_t* out, int base, int* warp_sums) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const unsigned ballot = __ballot_sync(0xffffffffu, flag);
  if (lane == 0) warp_sums[warp] = __popc(ballot);
  __syncthreads();
  int before = 0, total = 0;
  for (int w = 0; w < kSelectThreads / 32; ++w) {
    before += w < warp ? warp_sums[w] : 0;
    total += warp_sums[w];
  }
  if (flag) out[base + before + __popc(ballot & ((1u << lane) - 1))] = unit;
  __syncthreads();
  return total;
}

// Prefix sum of `x` over the tile, exclusive; returns the tile's total.
__device__ int ScanTile(int x, int* excl, int* warp_sums) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int incl = x;
  for (int o = 1; o < 32; o <<= 1) {
    const int y = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o) incl += y;
  }
  if (lane == 31) warp_sums[warp] = incl;
  __syncthreads();
  int before = 0, total = 0;
  for (int w = 0; w < kSelectThreads / 32; ++w) {
    before += w < warp ? warp_sums[w] : 0;
    total += warp_sums[w];
  }
  *excl = before + incl - x;
  __syncthreads();
  return total;
}

// One block per KV head. The keys (score, unit) are distinct, so the best
// `want` form one set, found by an MSB-first radix select on 8-bit digits
// (the CPU's nth_element picks the same set).
__global__ void __launch_bounds__(kSelectThreads) SelectKernel(TieredAttendArgs a, SelectArgs s) {
  const int g = blockIdx.x;
  const int64_t n = s.n, want = s.want < s.n ? s.want : s.n;
  __shared__ unsigned hist[256];
  __shared__ int warp_sums[kSelectThreads / 32];
  __shared__ uint64_t s_prefix;
  __shared__ int s_shift;
  __shared__ long long s_need;
  if (threadIdx.x == 0) {
    s_prefix = 0;
    s_shift = -1;
    s_need = want;
  }
  __syncthreads();
  if (want < n) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0;
      __syncthreads();
      const uint64_t prefix = s_prefix;
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        const uint64_t key = KeyAt(s, g, i, a.plan.unit_lo);
        if (shift == 56 || (key >> (shift + 8)) == (prefix >> (shift + 8))) {
          atomicAdd(&hist[(key >> shift) & 255], 1u);
        }
      }
      __syncthreads();
      if (threadIdx.x == 0) {
        long long above = 0;
        int digit = 255;
        for (; digit > 0; --digit) {
          if (above + hist[digit] >= s_need) break;
          above += hist[digit];
        }
        s_need -= above;
        s_prefix = prefix | (static_cast<uint64_t>(digit) << shift);
        if (hist[digit] == s_need) s_shift = shift;
      }
      __syncthreads();
      if (s_shift >= 0) break;
    }
  }
  const int shift = s_shift;
  const uint64_t threshold = shift >= 0 ? (s_prefix >> shift) : 0;
  int32_t* out = s.out + static_cast<int64_t>(g) * s.out_stride;
  int written = 0;
  for (int64_t base = 0; base < n; base += blockDim.x) {
    const int64_t i = base + threadIdx.x;
    bool flag = false;
    int32_t unit = 0;
    if (i < n) {
      const int64_t at = static_cast<int64_t>(g) * s.stride + i;
      unit = static_cast<int32_t>(s.units != nullptr ? s.units[at] : a.plan.unit_lo + i);
      flag = want >= n || (KeyAt(s, g, i, a.plan.unit_lo) >> shift) >= threshold;
    }
    written += CompactTile(flag, unit, out, written, warp_sums);
  }
  if (s.count != nullptr && threadIdx.x == 0) s.count[g] = written;
  if (s.row_offset == nullptr) return;
  int32_t* off = s.row_offset + static_cast<int64_t>(g) * (s.out_stride + 1);
  if (threadIdx.x == 0) off[0] = 0;
  int running = 0;
  for (int base = 0; base < written; base += blockDim.x) {
    const int i = base + static_cast<int>(threadIdx.x);
    int rows = 0;
    if (i < written) {
      int64_t lo, hi;
      FarRows(out[i], a.layer.unit, a.layer.n_sink, a.plan.far_end, &lo, &hi);
      rows = static_cast<int>(hi - lo);
    }
    int excl;
    const int total = ScanTile(rows, &excl, warp_sums);
    if (i < written) off[i + 1] = running + excl + rows;
    running += total;
  }
}

// Warp per shortlisted unit: its far rows decoded and re-rotated one at a
// time into shared memory, then each lane scores its representatives with
// an online log-sum-exp in row order (RerankScore).
constexpr int kRerankWarps = 4;

__global__ void RerankKernel(TieredAttendArgs a, int n_reps) {
  extern __shared__ float smem[];
  const int d = a.layer.head_dim, g = blockIdx.y, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int stride = d + 1;  // padded: lanes read different reps' rows
  float* reps = smem;                                        // [n_reps][d + 1]
  float* row = smem + n_reps * stride + warp * d;            // [d] this warp's key row
  for (int i = threadIdx.x; i < n_reps * d; i += blockDim.x) {
    reps[(i / d) * stride + i % d] = a.scratch.reps_f[(static_cast<int64_t>(g) * a.scratch.reps_cap + i / d) * d + i % d];
  }
  __syncthreads();
  const int64_t e = static_cast<int64_t>(blockIdx.x) * kRerankWarps + warp;
  if (e >= a.plan.shortlist) return;
  const int64_t at = static_cast<int64_t>(g) * a.scratch.short_cap + e;
  const int64_t u = a.scratch.short_units[at];
  int64_t lo, hi;
  FarRows(u, a.layer.unit, a.layer.n_sink, a.plan.far_end, &lo, &hi);
  const ColdGeometry cold = ColdOf(a.layer);
  const RopeView rope = RopeOf(a.rope, d);
  const float scale = 1.0f / sqrtf(static_cast<float>(d));
  float run_max[2] = {-INFINITY, -INFINITY}, run_sum[2] = {0.0f, 0.0f};
  const uint8_t* head = hi > lo ? a.layer.cold[lo / a.layer.block] + g * a.layer.cold_head_bytes : nullptr;
  for (int64_t pos = lo; pos < hi; ++pos) {
    const int r = static_cast<int>(pos % a.layer.block);
    const int64_t rot = a.plan.capped && pos < a.plan.anchor ? a.plan.anchor : pos;
    for (int i = lane; i < d / 2; i += 32) {
      float ka, kb;
      ColdKeyPair(cold, head, r, rope, rot, i, &ka, &kb);
      row[PairA(rope, i)] = ka;
      row[PairB(rope, i)] = kb;
    }
    __syncwarp();
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int q = lane + 32 * j;
      if (q >= n_reps) continue;
      float dot = 0.0f;
      for (int c = 0; c < d; ++c) dot = fmaf(reps[q * stride + c], row[c], dot);
      const float l = dot * scale;
      if (l > run_max[j]) {
        run_sum[j] = run_sum[j] * expf(run_max[j] - l) + 1.0f;
        run_max[j] = l;
      } else {
        run_sum[j] += expf(l - run_max[j]);
      }
    }
    __syncwarp();
  }
  float best = -INFINITY;
  for (int j = 0; j < 2; ++j) {
    if (lane + 32 * j < n_reps) best = fmaxf(best, run_max[j] + logf(run_sum[j]));
  }
  for (int o = 16; o > 0; o >>= 1) best = fmaxf(best, __shfl_xor_sync(0xffffffffu, best, o));
  if (lane == 0) a.scratch.short_scores[at] = best == best ? best : -INFINITY;
}

}  // namespace

base::Status LaunchReps(Gpu& gpu, const TieredAttendArgs& a, int n_reps) {
  RepsKernel<<<dim3(static_cast<unsigned>(n_reps), static_cast<unsigned>(a.layer.n_head_kv)), kRepThreads, 0,
               StreamOf(gpu)>>>(a, n_reps);
  return gpu.CheckLaunch("tiered_reps");
}

base::Status LaunchScore(Gpu& gpu, const TieredAttendArgs& a, int n_reps) {
  constexpr int kThreads = 128;
  const int64_t n_cand = a.plan.unit_hi - a.plan.unit_lo;
  ScoreKernel<<<dim3(BlocksFor(n_cand, kThreads), static_cast<unsigned>(a.layer.n_head_kv)), kThreads, 0,
                StreamOf(gpu)>>>(a, n_reps);
  return gpu.CheckLaunch("tiered_score");
}

base::Status LaunchSelect(Gpu& gpu, const TieredAttendArgs& a, const SelectArgs& s) {
  SelectKernel<<<static_cast<unsigned>(a.layer.n_head_kv), kSelectThreads, 0, StreamOf(gpu)>>>(a, s);
  return gpu.CheckLaunch("tiered_select");
}

base::Status LaunchRerank(Gpu& gpu, const TieredAttendArgs& a, int n_reps) {
  const int d = a.layer.head_dim;
  const size_t smem = (static_cast<size_t>(n_reps) * (d + 1) + static_cast<size_t>(kRerankWarps) * d) * sizeof(float);
  cudaStream_t stream = StreamOf(gpu);  // makes the Gpu's device current first
  // The attribute belongs to the current device, so it is set for this
  // launch rather than cached per process (a few microseconds, and only
  // past the default 48 KB).
  if (smem > (48u << 10)) {
    RETURN_IF_ERROR(CudaStatus(
        cudaFuncSetAttribute(RerankKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
        "cudaFuncSetAttribute(tiered_rerank)"));
  }
  RerankKernel<<<dim3(BlocksFor(a.plan.shortlist, kRerankWarps), static_cast<unsigned>(a.layer.n_head_kv)),
                 kRerankWarps * 32, smem, stream>>>(a, n_reps);
  return gpu.CheckLaunch("tiered_rerank");
}

}  // namespace kernels::tiered
