#include "engine/cuda/device_dense_kv.h"

#include <algorithm>
#include <vector>

#include "kernels/ops.h"

namespace engine::cuda {
namespace {

// Positions a Reload moves per copy.
constexpr int64_t kReloadRows = 4096;

class DeviceDenseKv final : public DeviceKv {
 public:
  DeviceDenseKv(kernels::Gpu* gpu, std::unique_ptr<AttentionCache> host) : gpu_(gpu), host_(std::move(host)) {}

  base::Status Init() {
    const AttentionCacheConfig& c = host_->config();
    const int elem = c.type == KvType::kF32 ? 4 : 2;
    const size_t bytes = static_cast<size_t>(c.n_head_kv) * static_cast<size_t>(c.capacity) *
                         static_cast<size_t>(c.head_dim) * static_cast<size_t>(elem);
    for (int l = 0; l < c.n_layer; ++l) {
      ASSIGN_OR_RETURN(kernels::DeviceBuffer k, gpu_->Alloc(bytes));
      ASSIGN_OR_RETURN(kernels::DeviceBuffer v, gpu_->Alloc(bytes));
      layers_.push_back({k.get(), v.get(), c.capacity, c.n_head_kv, c.head_dim, elem});
      buffers_.push_back(std::move(k));
      buffers_.push_back(std::move(v));
      device_bytes_ += 2 * bytes;
    }
    return base::Status::Ok();
  }

  AttentionCache& host() override { return *host_; }
  const AttentionCache& host() const override { return *host_; }

  base::Status Store(const KvChunk& chunk) override { return StoreAt(chunk, nullptr); }
  base::Status Attend(const AttentionBatch& batch) override { return AttendAt(batch, nullptr); }
  bool capturable() const override { return true; }

  base::Status StoreAt(const KvChunk& chunk, const int64_t* device_pos) override {
    kernels::DenseKvStoreArgs a;
    a.cache = layers_[static_cast<size_t>(chunk.layer)];
    a.k = chunk.k;
    a.v = chunk.v;
    a.first_pos = chunk.first_pos;
    a.n_tokens = chunk.n_tokens;
    a.first_pos_device = device_pos;
    return kernels::DenseKvStore(*gpu_, a);
  }

  base::Status AttendAt(const AttentionBatch& batch, const int64_t* device_pos) override {
    kernels::DenseAttentionArgs a;
    a.cache = layers_[static_cast<size_t>(batch.layer)];
    a.q = batch.q;
    a.out = batch.out;
    a.first_pos = batch.first_pos;
    a.n_tokens = batch.n_tokens;
    a.n_head = host_->config().n_head;
    a.first_pos_device = device_pos;
    return kernels::DenseAttention(*gpu_, a);
  }

  // The chunk's rows went up in Store; the device holds what the host does.
  base::Status AfterHostStore() override { return base::Status::Ok(); }

  // Rows below the host's position are all the device must hold, and
  // after a Truncate they already are.
  base::Status AfterHostTruncate() override { return base::Status::Ok(); }

  base::Status Reload() override {
    const int64_t n = host_->n_positions();
    const AttentionCacheConfig& c = host_->config();
    const size_t width = static_cast<size_t>(c.n_head_kv) * static_cast<size_t>(c.head_dim);
    std::vector<float> k(static_cast<size_t>(kReloadRows) * width), v(k.size());
    ASSIGN_OR_RETURN(kernels::DeviceBuffer dk, gpu_->Alloc(k.size() * sizeof(float)));
    ASSIGN_OR_RETURN(kernels::DeviceBuffer dv, gpu_->Alloc(v.size() * sizeof(float)));
    for (int l = 0; l < c.n_layer; ++l) {
      for (int64_t first = 0; first < n; first += kReloadRows) {
        const int64_t rows = std::min(kReloadRows, n - first);
        RETURN_IF_ERROR(host_->ReadRows(l, first, rows, k.data(), v.data()));
        RETURN_IF_ERROR(gpu_->CopyToDevice(dk.get(), k.data(), static_cast<size_t>(rows) * width * sizeof(float)));
        RETURN_IF_ERROR(gpu_->CopyToDevice(dv.get(), v.data(), static_cast<size_t>(rows) * width * sizeof(float)));
        RETURN_IF_ERROR(Store({l, first, rows, dk.as<float>(), dv.as<float>(), nullptr}));
      }
    }
    return gpu_->Synchronize();  // dk/dv are freed on return
  }

  size_t device_bytes() const override { return device_bytes_; }
  int64_t max_chunk_tokens() const override { return host_->config().capacity; }

 private:
  kernels::Gpu* gpu_;
  std::unique_ptr<AttentionCache> host_;
  std::vector<kernels::DenseKvLayout> layers_;  // [n_layer]
  std::vector<kernels::DeviceBuffer> buffers_;
  size_t device_bytes_ = 0;
};

}  // namespace

base::Result<std::unique_ptr<DeviceKv>> NewDeviceDenseKv(kernels::Gpu* gpu, std::unique_ptr<AttentionCache> host) {
  auto kv = std::make_unique<DeviceDenseKv>(gpu, std::move(host));
  RETURN_IF_ERROR(kv->Init());
  return std::unique_ptr<DeviceKv>(std::move(kv));
}

}  // namespace engine::cuda
