// The sampler's top-k and softmax on the device (ops.h): only k ids and
// probabilities cross to the host instead of the whole vocabulary.
//
// One block: a radix select over the logits' order-preserving 32-bit keys
// (four passes of 8-bit digits) finds the k-th largest; the elements above
// it, plus ties, are gathered and sorted in shared memory (value
// descending, id ascending, so the result does not depend on thread
// timing unless more ties than kCandidates sit exactly at the k-th value).
#include <cfloat>

#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

constexpr int kThreads = 1024;
constexpr int kCandidates = 2048;  // power of two for the bitonic sort, >= kMaxTopK

__device__ __forceinline__ uint32_t OrderedKey(float x) {
  const uint32_t bits = __float_as_uint(x);
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

// Sum over the block; every thread gets the result.
__device__ double BlockSum(double v, double* scratch) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  double total = 0.0;
  for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) total += scratch[w];
  return total;
}

__global__ void __launch_bounds__(kThreads) TopKKernel(TopKArgs a) {
  __shared__ uint32_t hist[256];
  __shared__ uint32_t prefix_s, remaining_s, n_cand;
  __shared__ uint32_t cand_key[kCandidates];
  __shared__ int32_t cand_id[kCandidates];
  __shared__ double sums[kThreads / 32];

  // Radix select of the k-th largest key, most significant digit first.
  uint32_t prefix = 0, mask = 0, remaining = static_cast<uint32_t>(a.k);
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int i = threadIdx.x; i < 256; i += blockDim.x) hist[i] = 0;
    __syncthreads();
    for (int i = threadIdx.x; i < a.n_vocab; i += blockDim.x) {
      const uint32_t key = OrderedKey(a.logits[i]);
      if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 0xffu], 1u);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      uint32_t above = 0;
      int b = 255;
      for (; b > 0 && above + hist[b] < remaining; --b) above += hist[b];
      prefix_s = prefix | (static_cast<uint32_t>(b) << shift);
      remaining_s = remaining - above;
    }
    __syncthreads();
    prefix = prefix_s;
    remaining = remaining_s;
    mask |= 0xffu << shift;
  }
  // `prefix` is the k-th largest key. Gather the keys above it (fewer
  // than k, so all fit), then the ties at it while slots remain.
  if (threadIdx.x == 0) n_cand = 0;
  __syncthreads();
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = threadIdx.x; i < a.n_vocab; i += blockDim.x) {
      const uint32_t key = OrderedKey(a.logits[i]);
      if (pass == 0 ? key > prefix : key == prefix) {
        const uint32_t slot = atomicAdd(&n_cand, 1u);
        if (slot < kCandidates) {
          cand_key[slot] = key;
          cand_id[slot] = i;
        }
      }
    }
    __syncthreads();
  }
  const uint32_t filled = min(n_cand, static_cast<uint32_t>(kCandidates));
  // Sort only the power of two that holds the candidates: greedy decoding
  // (k = 1, no ties) sorts nothing.
  int sort_n = 1;
  while (sort_n < static_cast<int>(filled)) sort_n <<= 1;
  for (int i = static_cast<int>(filled) + threadIdx.x; i < sort_n; i += blockDim.x) {
    cand_key[i] = 0;  // below every real key
    cand_id[i] = 0x7fffffff;
  }
  __syncthreads();
  // Bitonic sort: key descending, then id ascending.
  for (int size = 2; size <= sort_n; size <<= 1) {
    for (int stride = size / 2; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < sort_n; i += blockDim.x) {
        const int j = i ^ stride;
        if (j <= i) continue;
        const bool first_before = cand_key[i] > cand_key[j] || (cand_key[i] == cand_key[j] && cand_id[i] < cand_id[j]);
        const bool descending = (i & size) == 0;
        if (first_before != descending) {
          const uint32_t k = cand_key[i];
          cand_key[i] = cand_key[j];
          cand_key[j] = k;
          const int32_t id = cand_id[i];
          cand_id[i] = cand_id[j];
          cand_id[j] = id;
        }
      }
      __syncthreads();
    }
  }
  // Softmax over the whole vocabulary at the temperature.
  const float max_logit = a.logits[cand_id[0]];
  const float inv_t = 1.0f / a.temperature;
  double sum = 0.0;
  for (int i = threadIdx.x; i < a.n_vocab; i += blockDim.x) sum += exp(static_cast<double>((a.logits[i] - max_logit) * inv_t));
  sum = BlockSum(sum, sums);
  for (int i = threadIdx.x; i < a.k; i += blockDim.x) {
    a.ids[i] = cand_id[i];
    a.probs[i] = static_cast<float>(exp(static_cast<double>((a.logits[cand_id[i]] - max_logit) * inv_t)) / sum);
  }
}

}  // namespace

base::Status TopK(Gpu& gpu, const TopKArgs& a) {
  if (a.logits == nullptr || a.ids == nullptr || a.probs == nullptr || a.n_vocab <= 0 || a.k < 1 ||
      a.k > kMaxTopK || a.k > a.n_vocab || !(a.temperature > 0.0f)) {
    return base::InvalidArgument("TopK: bad arguments (k in 1.." + std::to_string(kMaxTopK) +
                                 ", temperature > 0)");
  }
  TopKKernel<<<1, kThreads, 0, StreamOf(gpu)>>>(a);
  return gpu.CheckLaunch("TopK");
}

}  // namespace kernels
