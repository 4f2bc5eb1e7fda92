// A model's weights in device memory, in their GGUF block formats (one
// upload serves the matrix-vector kernels and the cuBLAS path alike).
//
// Ownership: CudaWeights owns its buffers; they must not outlive the Gpu.
#pragma once

#include <vector>

#include "base/status.h"
#include "engine/model/model.h"
#include "kernels/gpu.h"
#include "kernels/ops.h"

namespace engine::cuda {

struct CudaLayerWeights {
  const float* attn_norm = nullptr;  // [n_embd]
  kernels::DeviceMatrix wq, wk, wv, wo;
  const float* bq = nullptr;  // qwen2: [n_q]; else null
  const float* bk = nullptr;  // [n_kv]
  const float* bv = nullptr;  // [n_kv]
  const float* q_norm = nullptr;  // qwen3: [head_dim]; else null
  const float* k_norm = nullptr;  // [head_dim]
  const float* ffn_norm = nullptr;  // [n_embd]
  kernels::DeviceMatrix w_gate, w_up, w_down;
};

struct CudaWeights {
  kernels::DeviceMatrix token_embd;  // [n_vocab x n_embd]
  const float* output_norm = nullptr;  // [n_embd]
  kernels::DeviceMatrix output;      // [n_vocab x n_embd]; token_embd's when tied
  std::vector<CudaLayerWeights> layers;
  std::vector<kernels::DeviceBuffer> buffers;  // owns everything above
  size_t bytes = 0;
};

// The device format of a GGUF type; Unsupported for the ones no kernel reads.
base::Result<kernels::WeightType> DeviceWeightType(GgmlType type);

// Uploads every tensor the forward pass reads. ResourceExhausted, naming
// the sizes, when the device has too little free memory.
base::Result<CudaWeights> UploadWeights(kernels::Gpu* gpu, const LoadedModel& model);

}  // namespace engine::cuda
