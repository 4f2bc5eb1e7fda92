// DequantizeToF16 and GatherRows (ops.h): whole weight rows decoded with
// block_decode.h, one thread per 32-value chunk of a row.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "kernels/cuda/block_decode.h"
#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

namespace bd = block_decode;

constexpr int kThreads = 256;

struct DecodeParams {
  const uint8_t* w;  // [rows][row_bytes]
  int64_t rows;
  int64_t cols;
  int64_t row_bytes;
  int64_t chunks_per_row;  // ceil(cols / 32)
};

// Values [32 * chunk, min(32 * chunk + 32, cols)) of `row` into v; returns
// how many. Only the float formats have a partial chunk.
template <class F>
__device__ __forceinline__ int DecodeChunk(const DecodeParams& p, const uint8_t* row, int64_t chunk, float* v) {
  const int64_t first = chunk * 32;
  if (first + 32 <= p.cols) {
    F::DecodeChunk32(row, chunk, v);
    return 32;
  }
  if constexpr (F::kBlockValues == 1) {
#pragma unroll
    for (int i = 0; i < 32; ++i) v[i] = first + i < p.cols ? F::Value(row, first + i) : 0.0f;
  }
  return static_cast<int>(p.cols - first);
}

// The two 16-bit output formats: fp16 (the tests' exact reference) and
// bf16 (the prefill GEMM's: fp32's range, so no activation overflows).
struct ToHalf {
  using T = __half;
  using T2 = __half2;
  __device__ static T One(float x) { return __float2half_rn(x); }
  __device__ static T2 Two(float a, float b) { return __floats2half2_rn(a, b); }
};
struct ToBFloat {
  using T = __nv_bfloat16;
  using T2 = __nv_bfloat162;
  __device__ static T One(float x) { return __float2bfloat16_rn(x); }
  __device__ static T2 Two(float a, float b) { return __floats2bfloat162_rn(a, b); }
};

// out: [rows][cols] 16-bit values. vec: out's rows are 16-byte aligned.
template <class F, class Out>
__global__ void __launch_bounds__(kThreads) To16Kernel(const DecodeParams p, typename Out::T* out, bool vec) {
  const int64_t n = p.rows * p.chunks_per_row;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i / p.chunks_per_row, c = i % p.chunks_per_row;
    float v[32];
    const int count = DecodeChunk<F>(p, p.w + r * p.row_bytes, c, v);
    typename Out::T* dst = out + r * p.cols + c * 32;
    if (vec && count == 32) {
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        alignas(16) typename Out::T2 h[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) h[j] = Out::Two(v[8 * k + 2 * j], v[8 * k + 2 * j + 1]);
        reinterpret_cast<uint4*>(dst)[k] = *reinterpret_cast<const uint4*>(h);
      }
    } else {
#pragma unroll
      for (int k = 0; k < 32; ++k) {
        if (k < count) dst[k] = Out::One(v[k]);
      }
    }
  }
}

// out: [n_tokens][cols] floats; a token whose id is outside [0, rows)
// gets NaNs (a device kernel cannot return an error, and reading past the
// matrix would be worse). vec: out's rows are 16-byte aligned.
template <class F>
__global__ void __launch_bounds__(kThreads)
    GatherKernel(const DecodeParams p, const int32_t* __restrict__ ids, int64_t n_tokens, float* out, bool vec) {
  const int64_t n = n_tokens * p.chunks_per_row;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = i / p.chunks_per_row, c = i % p.chunks_per_row;
    const int32_t id = __ldg(ids + t);
    float v[32];
    int count;
    if (id >= 0 && id < p.rows) {
      count = DecodeChunk<F>(p, p.w + id * p.row_bytes, c, v);
    } else {
      count = static_cast<int>(min(static_cast<int64_t>(32), p.cols - c * 32));
#pragma unroll
      for (int k = 0; k < 32; ++k) v[k] = __int_as_float(0x7fc00000);
    }
    float* dst = out + t * p.cols + c * 32;
    if (vec && count == 32) {
#pragma unroll
      for (int k = 0; k < 8; ++k) reinterpret_cast<float4*>(dst)[k] = make_float4(v[4 * k], v[4 * k + 1], v[4 * k + 2], v[4 * k + 3]);
    } else {
#pragma unroll
      for (int k = 0; k < 32; ++k) {
        if (k < count) dst[k] = v[k];
      }
    }
  }
}

// Blocks for a grid-stride loop over n items: enough to fill every SM
// several times over, no more.
unsigned GridFor(const Gpu& gpu, int64_t n) {
  const int64_t cap = static_cast<int64_t>(std::max(gpu.multiprocessors(), 1)) * 16;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, cap)));
}

base::Status CheckMatrix(const DeviceMatrix& w, const char* op) {
  const int type = static_cast<int>(w.type);
  if (type < static_cast<int>(WeightType::kF32) || type > static_cast<int>(WeightType::kQ6_K)) {
    return base::InvalidArgument(std::string(op) + ": unknown weight type " + std::to_string(type));
  }
  if (w.data == nullptr || w.rows < 0 || w.cols <= 0 || w.cols % WeightBlockValues(w.type) != 0) {
    return base::InvalidArgument(std::string(op) + ": bad matrix (" + std::to_string(w.rows) + " x " +
                                 std::to_string(w.cols) + ")");
  }
  if (reinterpret_cast<uintptr_t>(w.data) % WeightRowAlignment(w.type) != 0) {
    return base::InvalidArgument(std::string(op) + ": misaligned weights");
  }
  return base::Status::Ok();
}

DecodeParams ParamsFor(const DeviceMatrix& w) {
  DecodeParams p;
  p.w = static_cast<const uint8_t*>(w.data);
  p.rows = w.rows;
  p.cols = w.cols;
  p.row_bytes = w.cols / WeightBlockValues(w.type) * WeightBlockBytes(w.type);
  p.chunks_per_row = (w.cols + 31) / 32;
  return p;
}

// Calls fn(Format{}) with the block_decode format of `type`.
template <class Fn>
base::Status WithFormat(WeightType type, Fn&& fn) {
  switch (type) {
    case WeightType::kF32: return fn(bd::F32Format{});
    case WeightType::kF16: return fn(bd::F16Format{});
    case WeightType::kBF16: return fn(bd::BF16Format{});
    case WeightType::kQ8_0: return fn(bd::Q8_0Format{});
    case WeightType::kQ4_0: return fn(bd::Q4_0Format{});
    case WeightType::kQ4_K: return fn(bd::Q4_KFormat{});
    case WeightType::kQ5_K: return fn(bd::Q5_KFormat{});
    case WeightType::kQ6_K: return fn(bd::Q6_KFormat{});
  }
  return base::InvalidArgument("unknown weight type");
}

}  // namespace

template <class Out>
base::Status DequantizeTo16(Gpu& gpu, const DeviceMatrix& w, void* out, const char* op) {
  RETURN_IF_ERROR(CheckMatrix(w, op));
  if (out == nullptr) return base::InvalidArgument(std::string(op) + ": null output");
  if (reinterpret_cast<uintptr_t>(out) % 2 != 0) return base::InvalidArgument(std::string(op) + ": misaligned output");
  if (w.rows == 0) return base::Status::Ok();
  const DecodeParams p = ParamsFor(w);
  const bool vec = w.cols % 8 == 0 && reinterpret_cast<uintptr_t>(out) % 16 == 0;
  const unsigned grid = GridFor(gpu, p.rows * p.chunks_per_row);
  return WithFormat(w.type, [&](auto format) {
    using F = decltype(format);
    To16Kernel<F, Out><<<grid, kThreads, 0, StreamOf(gpu)>>>(p, static_cast<typename Out::T*>(out), vec);
    return gpu.CheckLaunch(op);
  });
}

// Values outside fp16's range (possible only for F32/BF16 weights) become
// +-inf, as __float2half_rn rounds them.
base::Status DequantizeToF16(Gpu& gpu, const DeviceMatrix& w, void* out) {
  return DequantizeTo16<ToHalf>(gpu, w, out, "DequantizeToF16");
}

base::Status DequantizeToBF16(Gpu& gpu, const DeviceMatrix& w, void* out) {
  return DequantizeTo16<ToBFloat>(gpu, w, out, "DequantizeToBF16");
}

base::Status GatherRows(Gpu& gpu, const GatherRowsArgs& a) {
  RETURN_IF_ERROR(CheckMatrix(a.w, "GatherRows"));
  if (a.ids == nullptr || a.out == nullptr || a.n_tokens < 0) {
    return base::InvalidArgument("GatherRows: bad arguments (" + std::to_string(a.n_tokens) + " tokens)");
  }
  if (reinterpret_cast<uintptr_t>(a.ids) % alignof(int32_t) != 0 ||
      reinterpret_cast<uintptr_t>(a.out) % alignof(float) != 0) {
    return base::InvalidArgument("GatherRows: misaligned pointer");
  }
  if (a.n_tokens == 0) return base::Status::Ok();
  const DecodeParams p = ParamsFor(a.w);
  const bool vec = a.w.cols % 4 == 0 && reinterpret_cast<uintptr_t>(a.out) % 16 == 0;
  const unsigned grid = GridFor(gpu, a.n_tokens * p.chunks_per_row);
  return WithFormat(a.w.type, [&](auto format) {
    using F = decltype(format);
    GatherKernel<F><<<grid, kThreads, 0, StreamOf(gpu)>>>(p, a.ids, a.n_tokens, a.out, vec);
    return gpu.CheckLaunch("GatherKernel");
  });
}

}  // namespace kernels
