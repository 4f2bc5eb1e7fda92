// Row-wise and element-wise operators of the forward pass (ops.h).
#include <cuda_fp16.h>

#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

constexpr int kNormThreads = 256;

// One block per row: the sum of squares in double (as the CPU backend), so
// the two backends' norms differ only in the last bit of the scale.
// In place (out == x) for the per-head q/k norms: no __restrict__ on x.
__global__ void RmsNormKernel(const float* x, const float* __restrict__ weight, float* out, int n,
                              float eps) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * n;  // [n]
  float* yr = out + row * n;      // [n]
  double sum = 0.0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) sum += static_cast<double>(xr[i]) * xr[i];
  for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  __shared__ double warp_sums[kNormThreads / 32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_sums[warp] = sum;
  __syncthreads();
  if (warp == 0) {
    sum = lane < blockDim.x / 32 ? warp_sums[lane] : 0.0;
    for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
    if (lane == 0) warp_sums[0] = sum;
  }
  __syncthreads();
  const float mean = static_cast<float>(warp_sums[0] / n);
  const float scale = 1.0f / sqrtf(mean + eps);
  for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = xr[i] * scale * weight[i];
}

// One thread per (token, head, rotated pair).
__global__ void RopeKernel(RopeArgs a) {
  const int half = a.n_rot / 2;
  const int64_t total = a.n_tokens * a.n_heads * half;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int i = static_cast<int>(idx % half);
    const int64_t th = idx / half;  // token * n_heads + head
    const int64_t t = th / a.n_heads;
    float* v = a.x + th * a.head_dim;  // [head_dim]
    // In double, as the CPU backend: positions near a million stay exact.
    const int64_t first = a.first_pos_device != nullptr ? *a.first_pos_device : a.first_pos;
    const double p = static_cast<double>(first + t) * a.freq_scale;
    const double theta = p * pow(static_cast<double>(a.freq_base), -2.0 * i / a.n_rot);
    const float c = static_cast<float>(cos(theta)), s = static_cast<float>(sin(theta));
    const int ia = a.pairing == RopePairing::kAdjacent ? 2 * i : i;
    const int ib = a.pairing == RopePairing::kAdjacent ? 2 * i + 1 : i + half;
    const float x0 = v[ia], x1 = v[ib];
    v[ia] = x0 * c - x1 * s;
    v[ib] = x0 * s + x1 * c;
  }
}

__global__ void SwiGluKernel(const float* gate, const float* __restrict__ up, int64_t n, float* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

__global__ void AddKernel(float* y, const float* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    y[i] += x[i];
  }
}

__global__ void AddBiasKernel(float* y, const float* __restrict__ bias, int64_t total, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    y[i] += bias[i % n];
  }
}


}  // namespace

base::Status RmsNorm(Gpu& gpu, const RmsNormArgs& a) {
  if (a.rows <= 0) return base::Status::Ok();
  if (a.x == nullptr || a.weight == nullptr || a.out == nullptr || a.n <= 0 || a.rows > 0x7fffffff) {
    return base::InvalidArgument("RmsNorm: bad arguments");
  }
  RmsNormKernel<<<static_cast<unsigned>(a.rows), kNormThreads, 0, StreamOf(gpu)>>>(a.x, a.weight, a.out, a.n,
                                                                                  a.eps);
  return gpu.CheckLaunch("RmsNorm");
}

base::Status Rope(Gpu& gpu, const RopeArgs& a) {
  if (a.n_tokens <= 0) return base::Status::Ok();
  if (a.x == nullptr || a.n_heads <= 0 || a.n_rot <= 0 || a.n_rot % 2 != 0 || a.n_rot > a.head_dim) {
    return base::InvalidArgument("Rope: bad arguments");
  }
  RopeKernel<<<GridStrideBlocks(a.n_tokens * a.n_heads * (a.n_rot / 2)), 256, 0, StreamOf(gpu)>>>(a);
  return gpu.CheckLaunch("Rope");
}

base::Status SwiGlu(Gpu& gpu, const float* gate, const float* up, int64_t n, float* out) {
  if (n <= 0) return base::Status::Ok();
  SwiGluKernel<<<GridStrideBlocks(n), 256, 0, StreamOf(gpu)>>>(gate, up, n, out);
  return gpu.CheckLaunch("SwiGlu");
}

base::Status Add(Gpu& gpu, float* y, const float* x, int64_t n) {
  if (n <= 0) return base::Status::Ok();
  AddKernel<<<GridStrideBlocks(n), 256, 0, StreamOf(gpu)>>>(y, x, n);
  return gpu.CheckLaunch("Add");
}

base::Status AddBias(Gpu& gpu, float* y, const float* bias, int64_t rows, int64_t n) {
  if (rows <= 0 || n <= 0) return base::Status::Ok();
  AddBiasKernel<<<GridStrideBlocks(rows * n), 256, 0, StreamOf(gpu)>>>(y, bias, rows * n, n);
  return gpu.CheckLaunch("AddBias");
}

}  // namespace kernels
