// kernels::Gpu over the CUDA runtime.
#include <cuda_runtime.h>

#include <string>
#include <utility>

#include "kernels/cuda/blas.h"
#include "kernels/cuda/internal.h"

namespace kernels {

base::Status CudaStatus(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return base::Status::Ok();
  return base::Internal(std::string("CUDA ") + what + ": " + cudaGetErrorName(err) + " (" +
                        cudaGetErrorString(err) + ")");
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != nullptr) cudaFree(ptr_);
}
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_ != nullptr) cudaFree(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_ != nullptr) cudaFreeHost(ptr_);
}
PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_ != nullptr) cudaFreeHost(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

base::Result<std::unique_ptr<Gpu>> Gpu::Open(int index) {
  int count = 0;
  if (cudaError_t err = cudaGetDeviceCount(&count); err != cudaSuccess) {
    cudaGetLastError();  // not sticky, but keep later checks clean
    return base::Unsupported(std::string("no usable CUDA device: ") + cudaGetErrorString(err));
  }
  if (index < 0 || index >= count) {
    return base::InvalidArgument("CUDA device " + std::to_string(index) + " does not exist (" +
                                 std::to_string(count) + " present)");
  }
  RETURN_IF_ERROR(CudaStatus(cudaSetDevice(index), "cudaSetDevice"));
  cudaDeviceProp prop{};
  RETURN_IF_ERROR(CudaStatus(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties"));
  if (prop.major < 8) {
    return base::Unsupported(std::string(prop.name) + " is sm_" + std::to_string(prop.major) +
                             std::to_string(prop.minor) + "; the CUDA backend needs sm_80 or newer");
  }
  std::unique_ptr<Gpu> gpu(new Gpu());
  gpu->info_ = {index, prop.name, prop.totalGlobalMem, prop.major, prop.minor};
  gpu->multiprocessors_ = prop.multiProcessorCount;
  cudaStream_t stream = nullptr;
  RETURN_IF_ERROR(CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate"));
  gpu->stream_ = stream;
  return std::move(gpu);  // nvcc compiles C++17: no implicit move into Result
}

void Gpu::MakeCurrent() const { cudaSetDevice(info_.index); }

Gpu::~Gpu() {
  MakeCurrent();
  blas_.reset();  // its handle uses the stream
  for (DeviceBuffer& s : scratch_) s = DeviceBuffer();
  if (stream_ != nullptr) {
    cudaStreamSynchronize(StreamOf(*this));
    cudaStreamDestroy(StreamOf(*this));
  }
}

base::Result<DeviceBuffer> Gpu::Alloc(size_t bytes) {
  MakeCurrent();
  if (bytes == 0) return DeviceBuffer();
  void* ptr = nullptr;
  if (cudaError_t err = cudaMalloc(&ptr, bytes); err != cudaSuccess) {
    cudaGetLastError();  // out-of-memory is not sticky; clear it
    return base::ResourceExhausted("cannot allocate " + std::to_string(bytes >> 20) + " MiB on " + info_.name +
                                   ": " + cudaGetErrorString(err));
  }
  return DeviceBuffer(ptr, bytes);
}

base::Result<PinnedBuffer> Gpu::AllocPinned(size_t bytes) {
  MakeCurrent();
  if (bytes == 0) return PinnedBuffer();
  void* ptr = nullptr;
  // Mapped: with unified addressing the host pointer is also the device's.
  if (cudaError_t err = cudaHostAlloc(&ptr, bytes, cudaHostAllocMapped | cudaHostAllocPortable);
      err != cudaSuccess) {
    cudaGetLastError();
    return base::ResourceExhausted("cannot pin " + std::to_string(bytes >> 20) +
                                   " MiB of host memory: " + cudaGetErrorString(err));
  }
  return PinnedBuffer(ptr, bytes);
}

base::Result<GpuMemoryInfo> Gpu::MemoryInfo() const {
  MakeCurrent();
  GpuMemoryInfo m;
  RETURN_IF_ERROR(CudaStatus(cudaMemGetInfo(&m.free_bytes, &m.total_bytes), "cudaMemGetInfo"));
  return m;
}

base::Status Gpu::CopyToDevice(void* device_dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return base::Status::Ok();
  return CudaStatus(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, StreamOf(*this)),
                    "copy to device");
}

base::Status Gpu::CopyOnDevice(void* device_dst, const void* device_src, size_t bytes) {
  if (bytes == 0) return base::Status::Ok();
  return CudaStatus(cudaMemcpyAsync(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice, StreamOf(*this)),
                    "copy on device");
}

base::Status Gpu::CopyToHostAsync(void* pinned_dst, const void* device_src, size_t bytes) {
  if (bytes == 0) return base::Status::Ok();
  return CudaStatus(cudaMemcpyAsync(pinned_dst, device_src, bytes, cudaMemcpyDeviceToHost, StreamOf(*this)),
                    "copy to host");
}

base::Status Gpu::CopyToHost(void* host_dst, const void* device_src, size_t bytes) {
  RETURN_IF_ERROR(CopyToHostAsync(host_dst, device_src, bytes));
  return Synchronize();
}

base::Status Gpu::Zero(void* device_dst, size_t bytes) {
  if (bytes == 0) return base::Status::Ok();
  return CudaStatus(cudaMemsetAsync(device_dst, 0, bytes, StreamOf(*this)), "memset");
}

base::Status Gpu::Synchronize() { return CudaStatus(cudaStreamSynchronize(StreamOf(*this)), "synchronize"); }

base::Status Gpu::CheckLaunch(const char* kernel) { return CudaStatus(cudaGetLastError(), kernel); }

GpuGraph::~GpuGraph() {
  if (exec_ != nullptr) {
    gpu_->MakeCurrent();
    cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  }
}

base::Status GpuGraph::Launch() {
  return CudaStatus(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), StreamOf(*gpu_)), "graph launch");
}

base::Result<std::unique_ptr<GpuGraph>> Gpu::Capture(const std::function<base::Status()>& work) {
  // Relaxed: the ops make their device current (cudaSetDevice) as they go.
  RETURN_IF_ERROR(CudaStatus(cudaStreamBeginCapture(StreamOf(*this), cudaStreamCaptureModeRelaxed), "begin capture"));
  const base::Status recorded = work();
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(StreamOf(*this), &graph);
  cudaGetLastError();  // an invalidated capture leaves its error behind
  if (!recorded.ok() || ended != cudaSuccess) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    if (!recorded.ok()) return recorded;
    return CudaStatus(ended, "end capture");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);  // the executable graph keeps what it needs
  RETURN_IF_ERROR(CudaStatus(made, "graph instantiate"));
  std::unique_ptr<GpuGraph> out(new GpuGraph());
  out->gpu_ = this;
  out->exec_ = exec;
  return std::move(out);  // C++17 (nvcc): no implicit move into Result
}

namespace {

// True while the stream records a graph: growing scratch then would free
// memory a recorded node points at, so callers must not get there.
bool Capturing(const Gpu& gpu) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  return cudaStreamIsCapturing(StreamOf(gpu), &status) == cudaSuccess && status != cudaStreamCaptureStatusNone;
}

}  // namespace

base::Result<void*> Gpu::ScratchFor(Scratch slot, size_t bytes) {
  if (Capturing(*this)) return base::FailedPrecondition("scratch memory cannot be used inside a captured graph");
  DeviceBuffer& buf = scratch_[static_cast<int>(slot)];
  if (buf.bytes() < bytes) {
    // The old buffer may still be read by queued work: wait before freeing.
    RETURN_IF_ERROR(Synchronize());
    buf = DeviceBuffer();
    ASSIGN_OR_RETURN(buf, Alloc(bytes + bytes / 4));  // headroom: grow rarely
  }
  return buf.get();
}

}  // namespace kernels
