// The dense KV cache on the device (ops.h): store and causal attention.
#include <cuda_fp16.h>

#include <string>

#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

// Channels per lane: head_dim up to 32 * kMaxPerLane.
constexpr int kMaxPerLane = 8;
constexpr int kWarps = 4;

__device__ __forceinline__ float Load(const float* p) { return *p; }
__device__ __forceinline__ float Load(const __half* p) { return __half2float(*p); }
__device__ __forceinline__ void StoreElem(float* p, float x) { *p = x; }
__device__ __forceinline__ void StoreElem(__half* p, float x) { *p = __float2half_rn(x); }

// One thread per (token, KV head, channel).
template <typename T>
__global__ void DenseKvStoreKernel(DenseKvStoreArgs a) {
  const int d = a.cache.head_dim, width = a.cache.n_head_kv * d;
  const int64_t total = a.n_tokens * width;
  T* kc = static_cast<T*>(a.cache.k);  // [n_head_kv][capacity][d]
  T* vc = static_cast<T*>(a.cache.v);
  const int64_t first = a.first_pos_device != nullptr ? *a.first_pos_device : a.first_pos;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = i / width;
    const int g = static_cast<int>(i % width) / d, c = static_cast<int>(i % d);
    const int64_t dst = (static_cast<int64_t>(g) * a.cache.capacity + first + t) * d + c;
    StoreElem(kc + dst, a.k[i]);
    StoreElem(vc + dst, a.v[i]);
  }
}

// One block per (token, query head): each warp walks every kWarps-th
// position with an online softmax (lanes hold channels l, l + 32, ...),
// then the warps' partial softmaxes are merged.
template <typename T>
__global__ void __launch_bounds__(kWarps * 32) DenseAttentionKernel(DenseAttentionArgs a) {
  const int t = blockIdx.x, h = blockIdx.y;
  const int d = a.cache.head_dim, group = a.n_head / a.cache.n_head_kv, g = h / group;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int per_lane = (d + 31) / 32;
  const float scale = rsqrtf(static_cast<float>(d));
  const float* q = a.q + (static_cast<int64_t>(t) * a.n_head + h) * d;  // [d]
  const T* kc = static_cast<const T*>(a.cache.k) + static_cast<int64_t>(g) * a.cache.capacity * d;  // [cap][d]
  const T* vc = static_cast<const T*>(a.cache.v) + static_cast<int64_t>(g) * a.cache.capacity * d;

  float qr[kMaxPerLane], acc[kMaxPerLane];
#pragma unroll
  for (int j = 0; j < kMaxPerLane; ++j) {
    const int c = lane + 32 * j;
    qr[j] = j < per_lane && c < d ? q[c] * scale : 0.0f;
    acc[j] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  const int64_t first = a.first_pos_device != nullptr ? *a.first_pos_device : a.first_pos;
  const int64_t last = first + t;  // causal: positions [0, last]
  for (int64_t p = warp; p <= last; p += kWarps) {
    const T* kp = kc + p * d;
    float dot = 0.0f;
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
      const int c = lane + 32 * j;
      if (j < per_lane && c < d) dot += qr[j] * Load(kp + c);
    }
    for (int off = 16; off > 0; off >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, off);
    const float m_new = fmaxf(m, dot);
    const float corr = expf(m - m_new), w = expf(dot - m_new);
    l = l * corr + w;
    const T* vp = vc + p * d;
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
      const int c = lane + 32 * j;
      acc[j] = acc[j] * corr + (j < per_lane && c < d ? w * Load(vp + c) : 0.0f);
    }
    m = m_new;
  }

  __shared__ float sm[kWarps], sl[kWarps];
  extern __shared__ float sacc[];  // [kWarps][d]
  if (lane == 0) {
    sm[warp] = m;
    sl[warp] = l;
  }
#pragma unroll
  for (int j = 0; j < kMaxPerLane; ++j) {
    const int c = lane + 32 * j;
    if (j < per_lane && c < d) sacc[warp * d + c] = acc[j];
  }
  __syncthreads();
  float m_all = -INFINITY;
  for (int w = 0; w < kWarps; ++w) m_all = fmaxf(m_all, sm[w]);
  float l_all = 0.0f;
  for (int w = 0; w < kWarps; ++w) l_all += sm[w] == -INFINITY ? 0.0f : sl[w] * expf(sm[w] - m_all);
  float* out = a.out + (static_cast<int64_t>(t) * a.n_head + h) * d;  // [d]
  for (int c = threadIdx.x; c < d; c += blockDim.x) {
    float sum = 0.0f;
    for (int w = 0; w < kWarps; ++w) {
      if (sm[w] != -INFINITY) sum += sacc[w * d + c] * expf(sm[w] - m_all);
    }
    out[c] = sum / l_all;
  }
}

base::Status CheckLayout(const DenseKvLayout& c) {
  if (c.k == nullptr || c.v == nullptr || c.n_head_kv <= 0 || c.head_dim <= 0 ||
      c.head_dim > 32 * kMaxPerLane || (c.element_bytes != 2 && c.element_bytes != 4)) {
    return base::InvalidArgument("dense KV layout: bad arguments (head_dim up to " +
                                 std::to_string(32 * kMaxPerLane) + ", fp16 or fp32)");
  }
  return base::Status::Ok();
}

}  // namespace

base::Status DenseKvStore(Gpu& gpu, const DenseKvStoreArgs& a) {
  RETURN_IF_ERROR(CheckLayout(a.cache));
  if (a.n_tokens <= 0) return base::Status::Ok();
  if (a.first_pos < 0 || a.first_pos + a.n_tokens > a.cache.capacity || a.k == nullptr || a.v == nullptr) {
    return base::OutOfRange("dense KV store past the capacity of " + std::to_string(a.cache.capacity));
  }
  const int64_t total = a.n_tokens * a.cache.n_head_kv * a.cache.head_dim;
  const unsigned grid = GridStrideBlocks(total);
  if (a.cache.element_bytes == 2) {
    DenseKvStoreKernel<__half><<<grid, 256, 0, StreamOf(gpu)>>>(a);
  } else {
    DenseKvStoreKernel<float><<<grid, 256, 0, StreamOf(gpu)>>>(a);
  }
  return gpu.CheckLaunch("DenseKvStore");
}

base::Status DenseAttention(Gpu& gpu, const DenseAttentionArgs& a) {
  RETURN_IF_ERROR(CheckLayout(a.cache));
  if (a.n_tokens <= 0) return base::Status::Ok();
  if (a.q == nullptr || a.out == nullptr || a.n_head <= 0 || a.n_head % a.cache.n_head_kv != 0 ||
      a.first_pos < 0 || a.first_pos + a.n_tokens > a.cache.capacity || a.n_tokens > 0x7fffffff ||
      a.n_head > 65535) {
    return base::InvalidArgument("DenseAttention: bad arguments");
  }
  const dim3 grid(static_cast<unsigned>(a.n_tokens), static_cast<unsigned>(a.n_head));
  const size_t shared = sizeof(float) * kWarps * static_cast<size_t>(a.cache.head_dim);
  if (a.cache.element_bytes == 2) {
    DenseAttentionKernel<__half><<<grid, kWarps * 32, shared, StreamOf(gpu)>>>(a);
  } else {
    DenseAttentionKernel<float><<<grid, kWarps * 32, shared, StreamOf(gpu)>>>(a);
  }
  return gpu.CheckLaunch("DenseAttention");
}

}  // namespace kernels
