// MatMul (ops.h): quantized matrix-vector kernels for a few tokens,
// cuBLAS for a prefill chunk.
//
// The GEMM's input formats follow the CPU backend's dot formats, so the
// two backends round alike: F32 weights multiply fp32 activations (no
// TF32); F16 and BF16 weights are used in place and meet activations
// rounded to their own type (as ggml and the CPU backend do, so an F16
// model's activation past 65504 overflows here as it does there, while
// the matrix-vector path keeps fp32 activations); quantized weights are
// dequantized to bf16 and meet bf16 activations (fp32's range: the
// feed-forward inputs some models reach overflow fp16; the CPU rounds
// these activations to 8 bits, coarser still).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/blas.h"
#include <string>

#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

__device__ __forceinline__ void Round(float x, __half* out) { *out = __float2half_rn(x); }
__device__ __forceinline__ void Round(float x, __nv_bfloat16* out) { *out = __float2bfloat16_rn(x); }

template <typename T>
__global__ void RoundKernel(const float* __restrict__ x, int64_t n, T* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    Round(x[i], out + i);
  }
}

base::Status CheckArgs(const MatMulArgs& a) {
  const int block = WeightBlockValues(a.w.type);
  if (a.w.data == nullptr || a.x == nullptr || a.y == nullptr || a.w.rows <= 0 || a.w.cols <= 0 ||
      a.w.cols % block != 0 || a.n_tokens < 0) {
    return base::InvalidArgument("MatMul: bad arguments (" + std::to_string(a.w.rows) + " x " +
                                 std::to_string(a.w.cols) + ", " + std::to_string(a.n_tokens) + " tokens)");
  }
  // cuBLAS takes int dimensions.
  if (a.w.rows > 0x7fffffff || a.w.cols > 0x7fffffff || a.n_tokens > 0x7fffffff) {
    return base::InvalidArgument("MatMul: dimension above 2^31");
  }
  return base::Status::Ok();
}

// y^T (rows x n, column-major) = W (rows x cols) * x^T (cols x n): W's
// row-major bytes are W^T column-major, hence OP_T on A.
base::Status Gemm(Gpu& gpu, const MatMulArgs& a) {
  ASSIGN_OR_RETURN(const BlasLibrary* blas, gpu.Blas());
  const int m = static_cast<int>(a.w.rows), n = static_cast<int>(a.n_tokens), k = static_cast<int>(a.w.cols);
  const float one = 1.0f, zero = 0.0f;
  const float* beta = a.accumulate ? &one : &zero;  // y = W x + beta y
  cublasStatus_t st;
  if (a.w.type == WeightType::kF32) {
    st = blas->gemm_ex(blas->handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, a.w.data, CUDA_R_32F, k, a.x,
                       CUDA_R_32F, k, beta, a.y, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  } else {
    const bool f16 = a.w.type == WeightType::kF16;
    const cudaDataType type = f16 ? CUDA_R_16F : CUDA_R_16BF;
    const size_t x_elems = static_cast<size_t>(a.n_tokens) * static_cast<size_t>(a.w.cols);
    const void* w16 = a.w.data;  // [rows][cols], 16-bit
    if (a.w.type != WeightType::kF16 && a.w.type != WeightType::kBF16) {
      const size_t w_elems = static_cast<size_t>(a.w.rows) * static_cast<size_t>(a.w.cols);
      ASSIGN_OR_RETURN(void* scratch, gpu.ScratchFor(Gpu::Scratch::kGemmWeights, w_elems * 2));
      RETURN_IF_ERROR(DequantizeToBF16(gpu, a.w, scratch));
      w16 = scratch;
    }
    ASSIGN_OR_RETURN(void* x16, gpu.ScratchFor(Gpu::Scratch::kGemmInput, x_elems * 2));  // [n][cols]
    const unsigned grid = GridStrideBlocks(static_cast<int64_t>(x_elems));
    if (f16) {
      RoundKernel<<<grid, 256, 0, StreamOf(gpu)>>>(a.x, static_cast<int64_t>(x_elems), static_cast<__half*>(x16));
    } else {
      RoundKernel<<<grid, 256, 0, StreamOf(gpu)>>>(a.x, static_cast<int64_t>(x_elems),
                                                   static_cast<__nv_bfloat16*>(x16));
    }
    RETURN_IF_ERROR(gpu.CheckLaunch("RoundKernel"));
    st = blas->gemm_ex(blas->handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, w16, type, k, x16, type, k, beta,
                       a.y, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }
  if (st != CUBLAS_STATUS_SUCCESS) {
    return base::Internal("cublasGemmEx failed with status " + std::to_string(static_cast<int>(st)));
  }
  return base::Status::Ok();
}

}  // namespace

base::Status MatMul(Gpu& gpu, const MatMulArgs& a) {
  RETURN_IF_ERROR(CheckArgs(a));
  if (a.n_tokens == 0) return base::Status::Ok();
  if (a.n_tokens <= kGemvMaxTokens) return GemvQuantized(gpu, a);
  return Gemm(gpu, a);
}

}  // namespace kernels
