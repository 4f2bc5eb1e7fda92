// MatMul (ops.h): quantized matrix-vector kernels for a few tokens,
// dequantize-to-bf16-then-cuBLAS for a prefill chunk.
#include <cuda_bf16.h>

#include "kernels/cuda/blas.h"
#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

__global__ void F32ToBF16Kernel(const float* __restrict__ x, int64_t n, __nv_bfloat16* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = __float2bfloat16_rn(x[i]);
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
    // fp32 weights stay fp32 (no TF32): the reference format is exact.
    st = blas->gemm_ex(blas->handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, a.w.data, CUDA_R_32F, k, a.x,
                       CUDA_R_32F, k, beta, a.y, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  } else {
    const size_t w_elems = static_cast<size_t>(a.w.rows) * static_cast<size_t>(a.w.cols);
    const size_t x_elems = static_cast<size_t>(a.n_tokens) * static_cast<size_t>(a.w.cols);
    ASSIGN_OR_RETURN(void* w16, gpu.ScratchFor(Gpu::Scratch::kGemmWeights, w_elems * sizeof(__nv_bfloat16)));
    ASSIGN_OR_RETURN(void* x16, gpu.ScratchFor(Gpu::Scratch::kGemmInput, x_elems * sizeof(__nv_bfloat16)));
    RETURN_IF_ERROR(DequantizeToBF16(gpu, a.w, w16));  // w16: [rows][cols]
    F32ToBF16Kernel<<<static_cast<unsigned>(std::min<size_t>((x_elems + 255) / 256, 65535)), 256, 0,
                      StreamOf(gpu)>>>(a.x, static_cast<int64_t>(x_elems), static_cast<__nv_bfloat16*>(x16));
    RETURN_IF_ERROR(gpu.CheckLaunch("F32ToBF16"));  // x16: [n][cols]
    st = blas->gemm_ex(blas->handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, w16, CUDA_R_16BF, k, x16,
                       CUDA_R_16BF, k, beta, a.y, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
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
