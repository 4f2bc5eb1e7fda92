// kernels::Gpu: one CUDA device, one stream, and the memory the CUDA
// backend allocates on it. Host-only: no CUDA type appears here, so CPU
// code (and builds without nvcc) include it freely; without CUDA, Open
// fails with Unavailable and nothing else can be reached.
//
// Ownership: a Gpu owns its stream and its lazily loaded cuBLAS handle.
// DeviceBuffer and PinnedBuffer own their memory and must not outlive the
// Gpu that made them.
//
// Threading: one thread uses a Gpu (and the ops of ops.h / tiered.h on it)
// at a time. Every op is enqueued on the Gpu's one stream, so ops run in
// the order they were issued; only Synchronize and the copies into
// pageable host memory wait for the device.
//
// Errors: a failed CUDA call becomes a Status that names the call. A
// sticky device error (an illegal address) leaves the Gpu unusable; every
// later call reports it again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "kernels/kernels.h"

namespace kernels {

class Gpu;
struct BlasLibrary;  // kernels/cuda/blas.h

// Device memory, freed on destruction. Move-only.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }
  bool empty() const { return ptr_ == nullptr; }

 private:
  friend class Gpu;
  DeviceBuffer(void* ptr, size_t bytes) : ptr_(ptr), bytes_(bytes) {}
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Page-locked host memory: copies from and to it run asynchronously on the
// stream, and the device can read it directly (mapped). Move-only.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }

 private:
  friend class Gpu;
  PinnedBuffer(void* ptr, size_t bytes) : ptr_(ptr), bytes_(bytes) {}
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A captured sequence of work on a Gpu's stream, replayed with one launch:
// a decode step is hundreds of small kernels, and launching each from the
// host costs more than running it. Replays read the same pointers and
// kernel arguments the capture saw (ops.h: positions from device memory).
// Must not outlive its Gpu.
class GpuGraph {
 public:
  ~GpuGraph();
  GpuGraph(const GpuGraph&) = delete;
  GpuGraph& operator=(const GpuGraph&) = delete;
  // Enqueues one replay on the Gpu's stream.
  base::Status Launch();

 private:
  friend class Gpu;
  GpuGraph() = default;
  Gpu* gpu_ = nullptr;
  void* exec_ = nullptr;  // cudaGraphExec_t
};

struct GpuMemoryInfo {
  size_t free_bytes = 0;
  size_t total_bytes = 0;
};

class Gpu {
 public:
  // Opens device `index` (ProbeDevices lists them) and creates its stream.
  // Unsupported when this binary has no CUDA or the device cannot be used.
  static base::Result<std::unique_ptr<Gpu>> Open(int index);
  ~Gpu();
  Gpu(const Gpu&) = delete;
  Gpu& operator=(const Gpu&) = delete;

  const DeviceInfo& info() const { return info_; }
  int multiprocessors() const { return multiprocessors_; }

  base::Result<DeviceBuffer> Alloc(size_t bytes);
  base::Result<PinnedBuffer> AllocPinned(size_t bytes);
  base::Result<GpuMemoryInfo> MemoryInfo() const;

  // Stream-ordered copies. A pageable source may be reused as soon as
  // CopyToDevice returns; a pinned destination of CopyToHostAsync is valid
  // only after Synchronize. CopyToHost waits for the device.
  base::Status CopyToDevice(void* device_dst, const void* host_src, size_t bytes);
  base::Status CopyOnDevice(void* device_dst, const void* device_src, size_t bytes);
  base::Status CopyToHostAsync(void* pinned_dst, const void* device_src, size_t bytes);
  base::Status CopyToHost(void* host_dst, const void* device_src, size_t bytes);
  base::Status Zero(void* device_dst, size_t bytes);
  // Waits for everything issued so far; reports the first kernel error.
  base::Status Synchronize();
  // Records instead of running what `work` issues on the stream (it must
  // not wait for the device, copy from pageable memory or allocate), and
  // returns it as a graph. On any failure the stream is back to running
  // work, nothing of `work` ran, and the error says why.
  base::Result<std::unique_ptr<GpuGraph>> Capture(const std::function<base::Status()>& work);
  // The error of the last kernel launch, if it failed to launch.
  base::Status CheckLaunch(const char* kernel);

  // The stream, as an opaque cudaStream_t for the .cu files.
  void* stream() const { return stream_; }
  // Makes this Gpu's device current for the calling thread (the CUDA
  // runtime's current device is per thread, and a Context may move to
  // another thread than the one that opened it). Every method and op
  // calls it first.
  void MakeCurrent() const;
  // cuBLAS, dlopen'ed on first use (libcublas maps ~700 MB; a process that
  // never runs a prefill GEMM does not pay for it).
  base::Result<const BlasLibrary*> Blas();

  // Scratch that ops grow on demand and reuse (never shrinking), so a
  // steady-state forward pass does not allocate. `slot` names the user.
  enum class Scratch { kGemmWeights, kGemmInput, kGemmOutput, kTopK, kAttention, kCount };
  base::Result<void*> ScratchFor(Scratch slot, size_t bytes);

 private:
  Gpu() = default;
  DeviceInfo info_;
  int multiprocessors_ = 0;
  void* stream_ = nullptr;
  std::unique_ptr<BlasLibrary> blas_;
  DeviceBuffer scratch_[static_cast<int>(Scratch::kCount)];
};

}  // namespace kernels
