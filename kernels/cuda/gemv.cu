// GemvQuantized (internal.h): y = W x for up to kGemvMaxTokens tokens,
// reading W once in its GGUF block format.
//
// Decode is memory-bound: every weight byte is read once and the work per
// byte is small, so the design keeps HBM streaming and the instruction
// count low. One warp per row (rows are >= 32 chunks of 32 values in the
// models we run, so a warp has work); lane l decodes chunks l, l + 32, ...
// (consecutive lanes read consecutive blocks, so loads coalesce), keeps
// the 32 decoded values in registers and applies them to every token: the
// accumulators are a register array of the compile-time token count.
// Four warps per block keep blocks small enough that even a 1024-row
// matrix spreads over more blocks than the H200's 132 SMs.
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/block_decode.h"
#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

namespace bd = block_decode;

constexpr int kWarpsPerBlock = 4;
constexpr unsigned kFullMask = 0xffffffffu;

struct GemvParams {
  const uint8_t* w;  // [rows][row_bytes]
  int64_t rows;
  int64_t cols;
  int64_t row_bytes;
  const float* x;  // [T][cols]
  float* y;        // [T][rows]
  bool x_vec4;     // x rows are 16-byte aligned (float4 loads)
  bool accumulate; // y += W x instead of y = W x
};

// acc[t] += sum_i w[i] * x[t][offset + i], i < 32.
template <int T>
__device__ __forceinline__ void Apply32(const float* w, const GemvParams& p, int64_t offset, float* acc) {
#pragma unroll
  for (int t = 0; t < T; ++t) {
    const float* xt = p.x + t * p.cols + offset;
    float s = 0.0f;
    if (p.x_vec4) {
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const float4 v = __ldg(reinterpret_cast<const float4*>(xt) + i);
        s = fmaf(w[4 * i], v.x, s);
        s = fmaf(w[4 * i + 1], v.y, s);
        s = fmaf(w[4 * i + 2], v.z, s);
        s = fmaf(w[4 * i + 3], v.w, s);
      }
    } else {
#pragma unroll
      for (int i = 0; i < 32; ++i) s = fmaf(w[i], __ldg(xt + i), s);
    }
    acc[t] += s;
  }
}

template <class F, int T>
__global__ void __launch_bounds__(kWarpsPerBlock * 32) GemvKernel(const GemvParams p) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (row >= p.rows) return;  // the whole warp leaves together
  const uint8_t* wrow = p.w + row * p.row_bytes;
  float acc[T];
#pragma unroll
  for (int t = 0; t < T; ++t) acc[t] = 0.0f;

  const int64_t full = p.cols / 32;
#pragma unroll 2
  for (int64_t c = lane; c < full; c += 32) {
    float w[32];
    F::DecodeChunk32(wrow, c, w);
    Apply32<T>(w, p, c * 32, acc);
  }
  if constexpr (F::kBlockValues == 1) {  // float formats: a partial last chunk
    const int64_t i = full * 32 + lane;
    if (i < p.cols) {
      const float v = F::Value(wrow, i);
#pragma unroll
      for (int t = 0; t < T; ++t) acc[t] = fmaf(v, p.x[t * p.cols + i], acc[t]);
    }
  }

#pragma unroll
  for (int t = 0; t < T; ++t) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc[t] += __shfl_xor_sync(kFullMask, acc[t], off);
  }
  // Lane t stores token t's sum, so the T stores go out in one instruction.
#pragma unroll
  for (int t = 0; t < T; ++t) {
    if (lane == t) {
      float* out = p.y + t * p.rows + row;
      *out = p.accumulate ? *out + acc[t] : acc[t];
    }
  }
}

template <class F>
base::Status LaunchFormat(Gpu& gpu, const GemvParams& p, int64_t n_tokens) {
  const dim3 grid(static_cast<unsigned>((p.rows + kWarpsPerBlock - 1) / kWarpsPerBlock));
  const dim3 block(kWarpsPerBlock * 32);
  cudaStream_t s = StreamOf(gpu);
  switch (n_tokens) {
    case 1: GemvKernel<F, 1><<<grid, block, 0, s>>>(p); break;
    case 2: GemvKernel<F, 2><<<grid, block, 0, s>>>(p); break;
    case 3: GemvKernel<F, 3><<<grid, block, 0, s>>>(p); break;
    case 4: GemvKernel<F, 4><<<grid, block, 0, s>>>(p); break;
    case 5: GemvKernel<F, 5><<<grid, block, 0, s>>>(p); break;
    case 6: GemvKernel<F, 6><<<grid, block, 0, s>>>(p); break;
    case 7: GemvKernel<F, 7><<<grid, block, 0, s>>>(p); break;
    case 8: GemvKernel<F, 8><<<grid, block, 0, s>>>(p); break;
    default: return base::InvalidArgument("GemvQuantized: token count out of range");
  }
  static_assert(kGemvMaxTokens == 8, "GemvKernel instantiations cover 1..8 tokens");
  return gpu.CheckLaunch("GemvKernel");
}

bool Overlaps(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  const auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
  return x < y + b_bytes && y < x + a_bytes;
}

base::Status CheckArgs(const MatMulArgs& a) {
  const std::string shape = " (" + std::to_string(a.w.rows) + " x " + std::to_string(a.w.cols) + ", " +
                            std::to_string(a.n_tokens) + " tokens)";
  const int type = static_cast<int>(a.w.type);
  if (type < static_cast<int>(WeightType::kF32) || type > static_cast<int>(WeightType::kQ6_K)) {
    return base::InvalidArgument("GemvQuantized: unknown weight type " + std::to_string(type));
  }
  if (a.w.data == nullptr || a.x == nullptr || a.y == nullptr) {
    return base::InvalidArgument("GemvQuantized: null pointer" + shape);
  }
  if (a.w.rows <= 0 || a.w.cols <= 0 || a.w.cols % WeightBlockValues(a.w.type) != 0) {
    return base::InvalidArgument("GemvQuantized: bad matrix shape" + shape);
  }
  if (a.n_tokens < 1 || a.n_tokens > kGemvMaxTokens) {
    return base::InvalidArgument("GemvQuantized: token count not in [1, 8]" + shape);
  }
  if ((a.w.rows + kWarpsPerBlock - 1) / kWarpsPerBlock > 0x7fffffff) {
    return base::InvalidArgument("GemvQuantized: too many rows" + shape);
  }
  if (reinterpret_cast<uintptr_t>(a.w.data) % WeightRowAlignment(a.w.type) != 0 ||
      reinterpret_cast<uintptr_t>(a.x) % alignof(float) != 0 || reinterpret_cast<uintptr_t>(a.y) % alignof(float) != 0) {
    return base::InvalidArgument("GemvQuantized: misaligned pointer" + shape);
  }
  const size_t x_bytes = static_cast<size_t>(a.n_tokens * a.w.cols) * sizeof(float);
  const size_t y_bytes = static_cast<size_t>(a.n_tokens * a.w.rows) * sizeof(float);
  if (Overlaps(a.x, x_bytes, a.y, y_bytes)) return base::InvalidArgument("GemvQuantized: y aliases x" + shape);
  return base::Status::Ok();
}

}  // namespace

base::Status GemvQuantized(Gpu& gpu, const MatMulArgs& args) {
  RETURN_IF_ERROR(CheckArgs(args));
  GemvParams p;
  p.w = static_cast<const uint8_t*>(args.w.data);
  p.rows = args.w.rows;
  p.cols = args.w.cols;
  p.row_bytes = args.w.cols / WeightBlockValues(args.w.type) * WeightBlockBytes(args.w.type);
  p.x = args.x;
  p.y = args.y;
  p.x_vec4 = args.w.cols % 4 == 0 && reinterpret_cast<uintptr_t>(args.x) % 16 == 0;
  p.accumulate = args.accumulate;
  switch (args.w.type) {
    case WeightType::kF32: return LaunchFormat<bd::F32Format>(gpu, p, args.n_tokens);
    case WeightType::kF16: return LaunchFormat<bd::F16Format>(gpu, p, args.n_tokens);
    case WeightType::kBF16: return LaunchFormat<bd::BF16Format>(gpu, p, args.n_tokens);
    case WeightType::kQ8_0: return LaunchFormat<bd::Q8_0Format>(gpu, p, args.n_tokens);
    case WeightType::kQ4_0: return LaunchFormat<bd::Q4_0Format>(gpu, p, args.n_tokens);
    case WeightType::kQ4_K: return LaunchFormat<bd::Q4_KFormat>(gpu, p, args.n_tokens);
    case WeightType::kQ5_K: return LaunchFormat<bd::Q5_KFormat>(gpu, p, args.n_tokens);
    case WeightType::kQ6_K: return LaunchFormat<bd::Q6_KFormat>(gpu, p, args.n_tokens);
  }
  return base::InvalidArgument("GemvQuantized: unknown weight type");
}

}  // namespace kernels
