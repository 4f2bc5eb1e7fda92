// TieredStore: a chunk's rows into the device ring and sinks (tiered.h).
#include "kernels/cuda/internal.h"
#include "kernels/cuda/tiered_internal.h"

namespace kernels {
namespace {

using tiered::FloatToHalf;

// One thread per (token, KV head, channel); fp16 rounding as the host's
// F32ToF16, so the device ring holds the host ring's bytes.
__global__ void StoreKernel(TieredLayerView l, int64_t first_pos, int64_t n_tokens, const float* __restrict__ k,
                            const float* __restrict__ v, const float* __restrict__ k_pre) {
  const int d = l.head_dim;
  const int64_t row = static_cast<int64_t>(l.n_head_kv) * d;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_tokens * row) return;
  const int64_t t = i / row;
  const int g = static_cast<int>((i % row) / d), c = static_cast<int>(i % d);
  const int64_t pos = first_pos + t;
  const uint16_t hk = FloatToHalf(k[i]), hv = FloatToHalf(v[i]);
  const int64_t slot = (static_cast<int64_t>(g) * l.ring_cap + pos % l.ring_cap) * d + c;
  l.ring_k[slot] = hk;
  l.ring_v[slot] = hv;
  if (pos < l.n_sink && pos < l.sink_cap) {
    const int64_t at = (static_cast<int64_t>(g) * l.sink_cap + pos) * d + c;
    l.sink_k[at] = hk;
    l.sink_v[at] = hv;
    l.sink_k_pre[at] = k_pre[i];
  }
}

}  // namespace

base::Status TieredStore(Gpu& gpu, const TieredStoreArgs& a) {
  if (a.n_tokens <= 0) return base::Status::Ok();
  if (a.n_tokens > a.layer.ring_cap) {
    return base::InvalidArgument("tiered store: a chunk of " + std::to_string(a.n_tokens) +
                                 " tokens exceeds the device ring (" + std::to_string(a.layer.ring_cap) + ")");
  }
  const int64_t n = a.n_tokens * a.layer.n_head_kv * a.layer.head_dim;
  constexpr int kThreads = 256;
  StoreKernel<<<BlocksFor(n, kThreads), kThreads, 0, StreamOf(gpu)>>>(a.layer, a.first_pos, a.n_tokens, a.k, a.v,
                                                                       a.k_pre);
  return gpu.CheckLaunch("tiered_store");
}

}  // namespace kernels
