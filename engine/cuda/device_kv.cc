// NewDeviceKv's dispatch, and the AttentionCache adapter for host callers.
#include "engine/cuda/device_kv.h"

#include <algorithm>

#include "engine/cuda/device_dense_kv.h"
#include "engine/cuda/device_tiered_kv.h"

namespace engine::cuda {
namespace {

class DeviceAttentionCache final : public AttentionCache {
 public:
  DeviceAttentionCache(kernels::Gpu* gpu, std::unique_ptr<DeviceKv> device) : gpu_(gpu), device_(std::move(device)) {}

  base::Status Store(const KvChunk& chunk) override { return StoreHostRows(gpu_, device_.get(), chunk, &rows_); }

  void Attend(const AttentionBatch& b, base::ThreadPool* /*pool*/) override {
    if (!fault_.ok()) return;
    fault_ = AttendOnDevice(b);
  }

  bool wants_pre_rope_keys() const override { return device_->host().wants_pre_rope_keys(); }
  int64_t n_positions() const override { return device_->host().n_positions(); }
  void Truncate(int64_t n) override {
    device_->host().Truncate(n);
    if (n == 0) fault_ = base::Status::Ok();
    if (base::Status s = device_->AfterHostTruncate(); !s.ok()) fault_ = s;
  }
  const AttentionCacheConfig& config() const override { return device_->host().config(); }
  size_t memory_bytes() const override { return device_->host().memory_bytes() + device_->device_bytes(); }
  int64_t block_tokens() const override { return device_->host().block_tokens(); }
  int64_t n_closed_blocks(int layer) const override { return device_->host().n_closed_blocks(layer); }
  void ExportBlock(int layer, int64_t index, KvBlock* out) const override {
    device_->host().ExportBlock(layer, index, out);
  }
  void ExportLive(std::string* out) const override { device_->host().ExportLive(out); }
  base::Status Restore(std::string_view live, const KvBlockFetcher& fetch) override {
    fault_ = base::Status::Ok();
    RETURN_IF_ERROR(device_->host().Restore(live, fetch));
    if (base::Status s = device_->Reload(); !s.ok()) {
      device_->host().Truncate(0);
      return s;
    }
    return base::Status::Ok();
  }
  // A device error is reported like a corrupt restored block: the
  // attention results are not to be used.
  base::Status fault() const override {
    RETURN_IF_ERROR(fault_);
    return device_->host().fault();
  }
  base::Status ReadRows(int layer, int64_t first, int64_t n, float* k, float* v) const override {
    return device_->host().ReadRows(layer, first, n, k, v);
  }

 private:
  base::Status AttendOnDevice(const AttentionBatch& b) {
    const AttentionCacheConfig& c = config();
    const size_t bytes = static_cast<size_t>(b.n_tokens) * static_cast<size_t>(c.n_head) *
                         static_cast<size_t>(c.head_dim) * sizeof(float);
    RETURN_IF_ERROR(Reserve(bytes));
    RETURN_IF_ERROR(gpu_->CopyToDevice(q_.get(), b.q, bytes));
    AttentionBatch dev = b;
    dev.q = q_.as<float>();
    dev.out = out_.as<float>();
    RETURN_IF_ERROR(device_->Attend(dev));
    return gpu_->CopyToHost(b.out, out_.get(), bytes);
  }

  // Grows the device staging of q and out to q_bytes each.
  base::Status Reserve(size_t q_bytes) {
    if (q_.bytes() < q_bytes) {
      RETURN_IF_ERROR(gpu_->Synchronize());
      ASSIGN_OR_RETURN(q_, gpu_->Alloc(q_bytes));
      ASSIGN_OR_RETURN(out_, gpu_->Alloc(q_bytes));
    }
    return base::Status::Ok();
  }

  kernels::Gpu* gpu_;
  std::unique_ptr<DeviceKv> device_;
  DeviceRowStaging rows_;
  kernels::DeviceBuffer q_, out_;  // [n][n_head * head_dim] each
  base::Status fault_;
};

}  // namespace

base::Status StoreHostRows(kernels::Gpu* gpu, DeviceKv* kv, const KvChunk& chunk, DeviceRowStaging* staging) {
  const AttentionCacheConfig& c = kv->host().config();
  const size_t width = static_cast<size_t>(c.n_head_kv) * static_cast<size_t>(c.head_dim);
  // The device takes the rows in pieces it can hold at once (a ring slot
  // written twice in one launch would race).
  const int64_t piece = std::max<int64_t>(1, std::min(chunk.n_tokens, kv->max_chunk_tokens()));
  const size_t piece_bytes = static_cast<size_t>(piece) * width * sizeof(float);
  if (staging->k.bytes() < piece_bytes) {
    RETURN_IF_ERROR(gpu->Synchronize());  // queued work may still read the old buffers
    ASSIGN_OR_RETURN(staging->k, gpu->Alloc(piece_bytes));
    ASSIGN_OR_RETURN(staging->v, gpu->Alloc(piece_bytes));
    ASSIGN_OR_RETURN(staging->k_pre, gpu->Alloc(piece_bytes));
  }
  for (int64_t t = 0; t < chunk.n_tokens; t += piece) {
    const int64_t n = std::min(piece, chunk.n_tokens - t);
    const size_t offset = static_cast<size_t>(t) * width, bytes = static_cast<size_t>(n) * width * sizeof(float);
    KvChunk dev{chunk.layer, chunk.first_pos + t, n, staging->k.as<float>(), staging->v.as<float>(), nullptr};
    RETURN_IF_ERROR(gpu->CopyToDevice(staging->k.get(), chunk.k + offset, bytes));
    RETURN_IF_ERROR(gpu->CopyToDevice(staging->v.get(), chunk.v + offset, bytes));
    if (chunk.k_pre_rope != nullptr) {
      RETURN_IF_ERROR(gpu->CopyToDevice(staging->k_pre.get(), chunk.k_pre_rope + offset, bytes));
      dev.k_pre_rope = staging->k_pre.as<float>();
    }
    RETURN_IF_ERROR(kv->Store(dev));
  }
  RETURN_IF_ERROR(kv->host().Store(chunk));
  if (chunk.layer == c.n_layer - 1) RETURN_IF_ERROR(kv->AfterHostStore());
  return base::Status::Ok();
}

base::Result<std::unique_ptr<DeviceKv>> NewDeviceKv(kernels::Gpu* gpu, std::unique_ptr<AttentionCache> host) {
  if (auto* tiered = dynamic_cast<kv::TieredCache*>(host.get())) {
    host.release();
    return NewDeviceTieredKv(gpu, std::unique_ptr<kv::TieredCache>(tiered));
  }
  return NewDeviceDenseKv(gpu, std::move(host));
}

base::Result<std::unique_ptr<AttentionCache>> NewDeviceAttentionCache(kernels::Gpu* gpu,
                                                                      std::unique_ptr<AttentionCache> host) {
  ASSIGN_OR_RETURN(std::unique_ptr<DeviceKv> device, NewDeviceKv(gpu, std::move(host)));
  return std::unique_ptr<AttentionCache>(std::make_unique<DeviceAttentionCache>(gpu, std::move(device)));
}

}  // namespace engine::cuda
