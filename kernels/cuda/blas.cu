// Lazy cuBLAS: Gpu::Blas opens the library, binds four functions and makes
// a handle on the Gpu's stream.
#include <dlfcn.h>

#include <string>

#include "kernels/cuda/blas.h"
#include "kernels/cuda/internal.h"

namespace kernels {
namespace {

// The soname of the toolkit this was built with first, then the others a
// driver may pair with, then the plain name.
#define LH_STR2(x) #x
#define LH_STR(x) LH_STR2(x)
constexpr const char* kBlasNames[] = {"libcublas.so." LH_STR(CUBLAS_VER_MAJOR), "libcublas.so.13", "libcublas.so.12",
                                      "libcublas.so"};

template <typename Fn>
bool Bind(void* lib, const char* name, Fn* fn) {
  *fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return *fn != nullptr;
}

}  // namespace

BlasLibrary::~BlasLibrary() {
  if (handle != nullptr && destroy != nullptr) destroy(handle);
  // The library stays mapped: cuBLAS registers process-wide state that
  // does not expect dlclose while the CUDA context lives.
}

namespace {

// One library: bound and with a handle on `stream`, or why not.
base::Result<std::unique_ptr<BlasLibrary>> OpenBlas(const char* name, cudaStream_t stream) {
  auto blas = std::make_unique<BlasLibrary>();
  blas->library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (blas->library == nullptr) return base::NotFound(std::string(name) + " not found");
  if (!Bind(blas->library, "cublasCreate_v2", &blas->create) ||
      !Bind(blas->library, "cublasDestroy_v2", &blas->destroy) ||
      !Bind(blas->library, "cublasSetStream_v2", &blas->set_stream) ||
      !Bind(blas->library, "cublasGemmEx", &blas->gemm_ex)) {
    return base::Unsupported(std::string(name) + " lacks a function this build needs");
  }
  // A library newer than the driver loads but cannot create a handle.
  if (blas->create(&blas->handle) != CUBLAS_STATUS_SUCCESS) {
    blas->handle = nullptr;
    return base::Unsupported(std::string("cublasCreate failed with ") + name);
  }
  if (blas->set_stream(blas->handle, stream) != CUBLAS_STATUS_SUCCESS) {
    return base::Internal(std::string("cublasSetStream failed with ") + name);
  }
  return std::move(blas);  // C++17 (nvcc): no implicit move into Result
}

}  // namespace

base::Result<const BlasLibrary*> Gpu::Blas() {
  // Its GEMMs use scratch (ScratchFor), which a graph cannot hold on to.
  cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(StreamOf(*this), &capturing) == cudaSuccess && capturing != cudaStreamCaptureStatusNone) {
    return base::FailedPrecondition("cuBLAS GEMMs are not captured in graphs");
  }
  if (blas_ != nullptr) return blas_.get();
  std::string tried;
  for (const char* name : kBlasNames) {
    auto blas = OpenBlas(name, StreamOf(*this));
    if (blas.ok()) {
      blas_ = std::move(*blas);
      return blas_.get();
    }
    tried += (tried.empty() ? "" : "; ") + blas.status().message();
  }
  return base::Unsupported("cuBLAS unusable (" + tried + "): prefill GEMMs need it; install libcublas");
}

}  // namespace kernels
