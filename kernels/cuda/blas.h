// cuBLAS, loaded with dlopen on first use (gpu.h says why it is not
// linked). The function types come from cuBLAS's own header, so a
// signature mismatch is a compile error, not a crash.
#pragma once

#include <cublas_api.h>

namespace kernels {

struct BlasLibrary {
  void* library = nullptr;  // dlopen handle
  cublasHandle_t handle = nullptr;
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  // cublasGemmEx has C++ overloads; name the C signature.
  using GemmEx = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                    const void*, const void*, cudaDataType, int, const void*, cudaDataType, int,
                                    const void*, void*, cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
  GemmEx gemm_ex = nullptr;
  ~BlasLibrary();
};

}  // namespace kernels
