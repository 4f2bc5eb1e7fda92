// The CPU-only build: gpu.h and ops.h without a device. Gpu::Open says
// so, and no Gpu can exist, so the ops are unreachable; they still answer
// with a Status rather than trusting that.
#include "kernels/gpu.h"
#include "kernels/ops.h"

namespace kernels {
namespace {
base::Status NoCuda() { return base::Unsupported("this longhaul was built without CUDA"); }
}  // namespace

struct BlasLibrary {};

DeviceBuffer::~DeviceBuffer() = default;
DeviceBuffer::DeviceBuffer(DeviceBuffer&&) noexcept = default;
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&&) noexcept = default;
PinnedBuffer::~PinnedBuffer() = default;
PinnedBuffer::PinnedBuffer(PinnedBuffer&&) noexcept = default;
PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&&) noexcept = default;

base::Result<std::unique_ptr<Gpu>> Gpu::Open(int /*index*/) { return NoCuda(); }
Gpu::~Gpu() = default;
void Gpu::MakeCurrent() const {}
base::Result<DeviceBuffer> Gpu::Alloc(size_t) { return NoCuda(); }
base::Result<PinnedBuffer> Gpu::AllocPinned(size_t) { return NoCuda(); }
base::Result<GpuMemoryInfo> Gpu::MemoryInfo() const { return NoCuda(); }
base::Status Gpu::CopyToDevice(void*, const void*, size_t) { return NoCuda(); }
base::Status Gpu::CopyOnDevice(void*, const void*, size_t) { return NoCuda(); }
base::Status Gpu::CopyToHostAsync(void*, const void*, size_t) { return NoCuda(); }
base::Status Gpu::CopyToHost(void*, const void*, size_t) { return NoCuda(); }
base::Status Gpu::Zero(void*, size_t) { return NoCuda(); }
base::Status Gpu::Synchronize() { return NoCuda(); }
base::Status Gpu::CheckLaunch(const char*) { return NoCuda(); }
base::Result<const BlasLibrary*> Gpu::Blas() { return NoCuda(); }
base::Result<void*> Gpu::ScratchFor(Scratch, size_t) { return NoCuda(); }
base::Result<std::unique_ptr<GpuGraph>> Gpu::Capture(const std::function<base::Status()>&) { return NoCuda(); }
GpuGraph::~GpuGraph() = default;
base::Status GpuGraph::Launch() { return NoCuda(); }

base::Status MatMul(Gpu&, const MatMulArgs&) { return NoCuda(); }
base::Status GatherRows(Gpu&, const GatherRowsArgs&) { return NoCuda(); }
base::Status DequantizeToF16(Gpu&, const DeviceMatrix&, void*) { return NoCuda(); }
base::Status DequantizeToBF16(Gpu&, const DeviceMatrix&, void*) { return NoCuda(); }
base::Status RmsNorm(Gpu&, const RmsNormArgs&) { return NoCuda(); }
base::Status Rope(Gpu&, const RopeArgs&) { return NoCuda(); }
base::Status SwiGlu(Gpu&, const float*, const float*, int64_t, float*) { return NoCuda(); }
base::Status Add(Gpu&, float*, const float*, int64_t) { return NoCuda(); }
base::Status AddBias(Gpu&, float*, const float*, int64_t, int64_t) { return NoCuda(); }
base::Status DenseKvStore(Gpu&, const DenseKvStoreArgs&) { return NoCuda(); }
base::Status DenseAttention(Gpu&, const DenseAttentionArgs&) { return NoCuda(); }
base::Status TopK(Gpu&, const TopKArgs&) { return NoCuda(); }

}  // namespace kernels
