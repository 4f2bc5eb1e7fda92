// TieredAttend (tiered.h): selection, gather, and one split softmax over
// sinks + window + selected rows + summaries, merged per query head
// (TieredCache::AttendRows / AttendTile).
#include <cuda_fp16.h>

#include <algorithm>

#include "kernels/cuda/internal.h"
#include "kernels/cuda/tiered_internal.h"

namespace kernels {
namespace {

using namespace tiered;

constexpr int kMaxChunks = 4;  // 64-channel chunks per warp: head_dim <= 256

// A row's key or value: fp16 (bit 0 clear) or f32 (bit 0 set).
__device__ __forceinline__ uintptr_t Tag(const void* p, bool f32) {
  return reinterpret_cast<uintptr_t>(p) | (f32 ? 1u : 0u);
}

__device__ float DotRow(const float* q, uintptr_t row, int d) {
  float acc = 0.0f;
  if (row & 1) {
    const float* k = reinterpret_cast<const float*>(row & ~uintptr_t{1});
    if (d % 4 == 0) {
      for (int c = 0; c < d; c += 4) {
        const float4 x = *reinterpret_cast<const float4*>(k + c);
        acc = fmaf(q[c], x.x, acc);
        acc = fmaf(q[c + 1], x.y, acc);
        acc = fmaf(q[c + 2], x.z, acc);
        acc = fmaf(q[c + 3], x.w, acc);
      }
    } else {
      for (int c = 0; c < d; ++c) acc = fmaf(q[c], k[c], acc);
    }
    return acc;
  }
  const __half* k = reinterpret_cast<const __half*>(row);
  if (d % 8 == 0) {
    for (int c = 0; c < d; c += 8) {
      const uint4 raw = *reinterpret_cast<const uint4*>(k + c);
      const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float2 f = __half22float2(h[i]);
        acc = fmaf(q[c + 2 * i], f.x, acc);
        acc = fmaf(q[c + 2 * i + 1], f.y, acc);
      }
    }
  } else {
    for (int c = 0; c < d; ++c) acc = fmaf(q[c], __half2float(k[c]), acc);
  }
  return acc;
}

__device__ __forceinline__ float2 LoadPair(uintptr_t row, int c) {
  if (row & 1) return *reinterpret_cast<const float2*>(reinterpret_cast<const float*>(row & ~uintptr_t{1}) + c);
  return __half22float2(*reinterpret_cast<const __half2*>(reinterpret_cast<const __half*>(row) + c));
}

// Block (token t, split s) x KV head g; warp w takes the group's heads
// w, w + warps, ...; each lane scores one row of 32, then the warp folds
// the 32 rows' values into its channels (lanes hold channel pairs).
__global__ void AttendKernel(TieredAttendArgs a, int splits, int rows_per_split, float* partial) {
  extern __shared__ float q_s[];  // [group][d]
  const TieredLayerView& L = a.layer;
  const TieredPlan& P = a.plan;
  const TieredScratch& S = a.scratch;
  const int d = L.head_dim, group = a.n_head / L.n_head_kv, g = blockIdx.y;
  const int64_t t = blockIdx.x / splits;
  const int s = static_cast<int>(blockIdx.x % splits);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
  const int64_t pos = P.first_pos + t;
  for (int i = threadIdx.x; i < group * d; i += blockDim.x) {
    q_s[i] = a.q[(t * a.n_head + static_cast<int64_t>(g) * group + i / d) * d + i % d];
  }
  const int64_t n_sink = P.n_sink_rows < pos + 1 ? P.n_sink_rows : pos + 1;
  int64_t w_lo = pos + 1 - P.window;
  if (w_lo < L.n_sink) w_lo = L.n_sink;
  if (w_lo < P.ring_lo) w_lo = P.ring_lo;
  const int64_t n_win = pos + 1 > w_lo ? pos + 1 - w_lo : 0;
  const int cnt = S.sel_count[g];
  const int32_t* sel_pos = S.sel_pos + static_cast<int64_t>(g) * S.rows_cap;
  const int n_sel_rows = cnt > 0 ? S.row_offset[static_cast<int64_t>(g) * (S.sel_cap + 1) + cnt] : 0;
  int lo = 0, hi = n_sel_rows;
  while (lo < hi) {  // selected rows in this query's far range
    const int mid = (lo + hi) / 2;
    if (sel_pos[mid] < pos + 1 - P.window) lo = mid + 1; else hi = mid;
  }
  const int64_t n_sel = lo, n_sum = P.sum_hi - P.sum_lo;
  const int64_t win_at = n_sink, sel_at = win_at + n_win, sum_at = sel_at + n_sel, n_rows = sum_at + n_sum;
  const int64_t r0 = static_cast<int64_t>(s) * rows_per_split;
  const int64_t r1 = r0 + rows_per_split < n_rows ? r0 + rows_per_split : n_rows;
  const float scale = 1.0f / sqrtf(static_cast<float>(d));
  __syncthreads();
  for (int j = warp; j < group; j += n_warps) {
    const float* q = q_s + j * d;
    float m = -INFINITY, l = 0.0f, acc[2 * kMaxChunks];
#pragma unroll
    for (int i = 0; i < 2 * kMaxChunks; ++i) acc[i] = 0.0f;
    for (int64_t base = r0; base < r1; base += 32) {
      const int64_t v = base + lane;
      uintptr_t kp = 0, vp = 0;
      float bias = 0.0f;
      bool valid = v < r1;
      if (valid) {
        const int64_t gd = static_cast<int64_t>(g);
        if (v < win_at) {
          const int64_t at = (gd * L.sink_cap + v) * d;
          kp = P.capped ? Tag(S.cap_sink_k + at, true) : Tag(L.sink_k + at, false);
          vp = Tag(L.sink_v + at, false);
        } else if (v < sel_at) {
          const int64_t at = (gd * L.ring_cap + (w_lo + v - win_at) % L.ring_cap) * d;
          kp = Tag(L.ring_k + at, false);
          vp = Tag(L.ring_v + at, false);
        } else if (v < sum_at) {
          const int64_t at = (gd * S.rows_cap + v - sel_at) * d;
          kp = Tag(S.sel_k + at, true);
          vp = Tag(S.sel_v + at, true);
        } else {
          const int64_t blk = P.sum_lo + v - sum_at;
          const int c = S.sum_count[gd * L.block_cap + blk];
          valid = c > 0;
          bias = valid ? logf(static_cast<float>(c)) : 0.0f;
          const int64_t at = (gd * L.block_cap + blk) * d;
          kp = Tag(L.sum_k + at, false);
          vp = Tag(L.sum_v + at, false);
        }
      }
      const float score = valid ? DotRow(q, kp, d) * scale + bias : -INFINITY;
      float bm = score;
      for (int o = 16; o > 0; o >>= 1) bm = fmaxf(bm, __shfl_xor_sync(0xffffffffu, bm, o));
      const float new_m = fmaxf(m, bm);
      if (new_m == -INFINITY) continue;  // every row so far masked
      const float corr = m == -INFINITY ? 0.0f : expf(m - new_m);
      const float p = score == -INFINITY ? 0.0f : expf(score - new_m);
      float ps = p;
      for (int o = 16; o > 0; o >>= 1) ps += __shfl_xor_sync(0xffffffffu, ps, o);
      l = l * corr + ps;
      m = new_m;
#pragma unroll
      for (int i = 0; i < 2 * kMaxChunks; ++i) acc[i] *= corr;
      for (int r = 0; r < 32; ++r) {
        const float pr = __shfl_sync(0xffffffffu, p, r);
        const unsigned long long row = __shfl_sync(0xffffffffu, static_cast<unsigned long long>(vp), r);
        if (pr == 0.0f) continue;
#pragma unroll
        for (int ch = 0; ch < kMaxChunks; ++ch) {
          const int c = 2 * lane + 64 * ch;
          if (c < d) {
            const float2 x = LoadPair(static_cast<uintptr_t>(row), c);
            acc[2 * ch] = fmaf(pr, x.x, acc[2 * ch]);
            acc[2 * ch + 1] = fmaf(pr, x.y, acc[2 * ch + 1]);
          }
        }
      }
    }
    const int64_t h = static_cast<int64_t>(g) * group + j;
    float* out = partial + ((t * a.n_head + h) * splits + s) * (d + 2);  // [d] acc, max, sum
#pragma unroll
    for (int ch = 0; ch < kMaxChunks; ++ch) {
      const int c = 2 * lane + 64 * ch;
      if (c < d) {
        out[c] = acc[2 * ch];
        out[c + 1] = acc[2 * ch + 1];
      }
    }
    if (lane == 0) {
      out[d] = m;
      out[d + 1] = l;
    }
  }
}

// Block per (token, query head): the splits' partial softmaxes combined.
__global__ void MergeKernel(int64_t n_head, int d, int splits, const float* __restrict__ partial,
                            float* __restrict__ out) {
  const int64_t th = blockIdx.x;
  const float* p = partial + th * splits * (d + 2);
  float m = -INFINITY;
  for (int s = 0; s < splits; ++s) m = fmaxf(m, p[s * (d + 2) + d]);
  float l = 0.0f;
  for (int s = 0; s < splits; ++s) {
    const float ms = p[s * (d + 2) + d];
    if (ms != -INFINITY) l += p[s * (d + 2) + d + 1] * expf(ms - m);
  }
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
  for (int c = threadIdx.x; c < d; c += blockDim.x) {
    float acc = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const float ms = p[s * (d + 2) + d];
      if (ms != -INFINITY) acc += p[s * (d + 2) + c] * expf(ms - m);
    }
    out[th * d + c] = acc * inv;
  }
  (void)n_head;
}

base::Status Select(Gpu& gpu, const TieredAttendArgs& a) {
  const TieredPlan& P = a.plan;
  const TieredScratch& S = a.scratch;
  const int64_t n_cand = P.unit_hi - P.unit_lo;
  if (n_cand <= 0 || P.top_k <= 0) return gpu.Zero(S.sel_count, sizeof(int32_t) * a.layer.n_head_kv);
  SelectArgs all;
  all.out = S.sel_units;
  all.out_stride = S.sel_cap;
  all.row_offset = S.row_offset;
  all.count = S.sel_count;
  if (n_cand <= P.top_k) {  // k covers every unit
    all.scores = S.scores;
    all.stride = S.units_cap;
    all.n = all.want = n_cand;
    return LaunchSelect(gpu, a, all);
  }
  const int group = a.n_head / a.layer.n_head_kv;
  const int samples = static_cast<int>(std::min<int64_t>(kTieredChunkSamples, P.n_tokens));
  const int n_reps = group * (samples + (P.n_tokens > 1 ? 1 : 0));
  if (n_reps > S.reps_cap) return base::Internal("tiered attend: representative queries exceed the scratch");
  RETURN_IF_ERROR(LaunchReps(gpu, a, n_reps));
  RETURN_IF_ERROR(LaunchScore(gpu, a, n_reps));
  SelectArgs first;
  first.scores = S.scores;
  first.stride = S.units_cap;
  first.n = n_cand;
  if (P.shortlist <= P.top_k) {
    all.scores = S.scores;
    all.stride = S.units_cap;
    all.n = n_cand;
    all.want = P.top_k;
    return LaunchSelect(gpu, a, all);
  }
  first.want = P.shortlist;
  first.out = S.short_units;
  first.out_stride = S.short_cap;
  RETURN_IF_ERROR(LaunchSelect(gpu, a, first));
  RETURN_IF_ERROR(LaunchRerank(gpu, a, std::min(n_reps, kTieredMaxRerankReps)));
  all.scores = S.short_scores;
  all.units = S.short_units;
  all.stride = S.short_cap;
  all.n = P.shortlist;
  all.want = P.top_k;
  return LaunchSelect(gpu, a, all);
}

}  // namespace

base::Status TieredAttend(Gpu& gpu, const TieredAttendArgs& a) {
  const TieredPlan& P = a.plan;
  const int d = a.layer.head_dim, n_kv = a.layer.n_head_kv;
  if (P.n_tokens <= 0) return base::Status::Ok();
  if (d % 2 != 0 || d > 64 * kMaxChunks || a.n_head % n_kv != 0) {
    return base::Unsupported("tiered attend: head_dim must be even and at most 256");
  }
  const int group = a.n_head / n_kv;
  const size_t q_bytes = static_cast<size_t>(group) * d * sizeof(float);
  if (q_bytes > (48u << 10)) return base::Unsupported("tiered attend: query group too wide for shared memory");
  const int64_t n_cand = P.unit_hi - P.unit_lo;
  if (n_cand > a.scratch.units_cap || P.top_k > a.scratch.sel_cap || P.shortlist > a.scratch.short_cap) {
    return base::Internal("tiered attend: the plan exceeds the scratch it was given");
  }
  RETURN_IF_ERROR(Select(gpu, a));
  if (n_cand > 0 && P.top_k > 0) RETURN_IF_ERROR(LaunchGather(gpu, a, std::min(n_cand, P.top_k)));
  if (P.capped) RETURN_IF_ERROR(LaunchCapSinks(gpu, a));
  RETURN_IF_ERROR(LaunchSummaryCounts(gpu, a));

  // Splits: enough blocks to fill the device, rows in multiples of a warp.
  const int64_t max_rows = std::max<int64_t>(1, P.max_rows);
  const int64_t sms = gpu.multiprocessors() > 0 ? gpu.multiprocessors() : 132;
  int64_t splits = std::clamp<int64_t>((4 * sms + P.n_tokens * n_kv - 1) / (P.n_tokens * n_kv), 1, (max_rows + 31) / 32);
  const int64_t rps = ((max_rows + splits - 1) / splits + 31) / 32 * 32;
  splits = (max_rows + rps - 1) / rps;
  const size_t partial_bytes = static_cast<size_t>(P.n_tokens * a.n_head * splits) * (d + 2) * sizeof(float);
  ASSIGN_OR_RETURN(void* partial, gpu.ScratchFor(Gpu::Scratch::kAttention, partial_bytes));
  const int warps = std::min(group, 4);
  AttendKernel<<<dim3(static_cast<unsigned>(P.n_tokens * splits), static_cast<unsigned>(n_kv)), 32 * warps, q_bytes,
                 StreamOf(gpu)>>>(a, static_cast<int>(splits), static_cast<int>(rps), static_cast<float*>(partial));
  RETURN_IF_ERROR(gpu.CheckLaunch("tiered_attend"));
  MergeKernel<<<static_cast<unsigned>(P.n_tokens * a.n_head), std::min(d, 128), 0, StreamOf(gpu)>>>(
      a.n_head, d, static_cast<int>(splits), static_cast<const float*>(partial), a.out);
  return gpu.CheckLaunch("tiered_merge");
}

}  // namespace kernels
