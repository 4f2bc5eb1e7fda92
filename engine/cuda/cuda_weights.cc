#include "engine/cuda/cuda_weights.h"

#include <string>

#include "engine/quant/types.h"

namespace engine::cuda {
namespace {

// Uploads into buffers the CudaWeights keeps.
class Uploader {
 public:
  Uploader(kernels::Gpu* gpu, CudaWeights* out) : gpu_(gpu), out_(out) {}

  base::Result<kernels::DeviceMatrix> Matrix(const WeightView& w) {
    ASSIGN_OR_RETURN(kernels::WeightType type, DeviceWeightType(w.type));
    const size_t bytes = static_cast<size_t>(RowBytes(w.type, w.cols)) * static_cast<size_t>(w.rows);
    ASSIGN_OR_RETURN(const void* data, Bytes(w.data, bytes));
    return kernels::DeviceMatrix{type, data, w.rows, w.cols};
  }

  // Null for an empty vector (an absent bias or norm).
  base::Result<const float*> Vector(const std::vector<float>& v) {
    if (v.empty()) return static_cast<const float*>(nullptr);
    ASSIGN_OR_RETURN(const void* data, Bytes(v.data(), v.size() * sizeof(float)));
    return static_cast<const float*>(data);
  }

 private:
  base::Result<const void*> Bytes(const void* host, size_t bytes) {
    ASSIGN_OR_RETURN(kernels::DeviceBuffer buf, gpu_->Alloc(bytes));
    RETURN_IF_ERROR(gpu_->CopyToDevice(buf.get(), host, bytes));
    const void* data = buf.get();
    out_->bytes += bytes;
    out_->buffers.push_back(std::move(buf));
    return data;
  }

  kernels::Gpu* gpu_;
  CudaWeights* out_;
};

}  // namespace

base::Result<kernels::WeightType> DeviceWeightType(GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return kernels::WeightType::kF32;
    case GgmlType::kF16: return kernels::WeightType::kF16;
    case GgmlType::kBF16: return kernels::WeightType::kBF16;
    case GgmlType::kQ8_0: return kernels::WeightType::kQ8_0;
    case GgmlType::kQ4_0: return kernels::WeightType::kQ4_0;
    case GgmlType::kQ4_K: return kernels::WeightType::kQ4_K;
    case GgmlType::kQ5_K: return kernels::WeightType::kQ5_K;
    case GgmlType::kQ6_K: return kernels::WeightType::kQ6_K;
    default: break;
  }
  return base::Unsupported("the CUDA backend has no kernel for weight type " + std::string(TraitsOf(type).name));
}

base::Result<CudaWeights> UploadWeights(kernels::Gpu* gpu, const LoadedModel& model) {
  uint64_t needed = 0;
  for (const TensorInfo& t : model.gguf().tensors()) needed += t.n_bytes;
  ASSIGN_OR_RETURN(kernels::GpuMemoryInfo mem, gpu->MemoryInfo());
  if (needed > mem.free_bytes) {
    return base::ResourceExhausted("the model's " + std::to_string(needed >> 20) + " MiB of weights exceed the " +
                                   std::to_string(mem.free_bytes >> 20) + " MiB free on " + gpu->info().name);
  }
  const ModelWeights& w = model.weights();
  CudaWeights out;
  Uploader up(gpu, &out);
  ASSIGN_OR_RETURN(out.token_embd, up.Matrix(w.token_embd));
  ASSIGN_OR_RETURN(out.output_norm, up.Vector(w.output_norm));
  if (w.tied_output) {
    out.output = out.token_embd;
  } else {
    ASSIGN_OR_RETURN(out.output, up.Matrix(w.output));
  }
  for (const LayerWeights& L : w.layers) {
    CudaLayerWeights d;
    ASSIGN_OR_RETURN(d.attn_norm, up.Vector(L.attn_norm));
    ASSIGN_OR_RETURN(d.wq, up.Matrix(L.wq));
    ASSIGN_OR_RETURN(d.wk, up.Matrix(L.wk));
    ASSIGN_OR_RETURN(d.wv, up.Matrix(L.wv));
    ASSIGN_OR_RETURN(d.wo, up.Matrix(L.wo));
    ASSIGN_OR_RETURN(d.bq, up.Vector(L.bq));
    ASSIGN_OR_RETURN(d.bk, up.Vector(L.bk));
    ASSIGN_OR_RETURN(d.bv, up.Vector(L.bv));
    ASSIGN_OR_RETURN(d.q_norm, up.Vector(L.q_norm));
    ASSIGN_OR_RETURN(d.k_norm, up.Vector(L.k_norm));
    ASSIGN_OR_RETURN(d.ffn_norm, up.Vector(L.ffn_norm));
    ASSIGN_OR_RETURN(d.w_gate, up.Matrix(L.w_gate));
    ASSIGN_OR_RETURN(d.w_up, up.Matrix(L.w_up));
    ASSIGN_OR_RETURN(d.w_down, up.Matrix(L.w_down));
    out.layers.push_back(d);
  }
  // The copies read pageable (mapped file) memory; finish them before the
  // caller may unmap anything.
  RETURN_IF_ERROR(gpu->Synchronize());
  return out;
}

}  // namespace engine::cuda
