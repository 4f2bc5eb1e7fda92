// Views of a model's tensors, bound by name and shape-checked at load.
//
// Matrices stay in the GGUF mapping (zero-copy). Small vectors (norm
// weights, biases) are converted to f32 once, because a few files store
// them as f16.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "engine/gguf/gguf.h"
#include "engine/model/hparams.h"
#include "engine/quant/matmul.h"

namespace engine {

struct LayerWeights {
  std::vector<float> attn_norm;  // [n_embd]
  WeightView wq;                 // [n_q x n_embd]
  WeightView wk;                 // [n_kv x n_embd]
  WeightView wv;                 // [n_kv x n_embd]
  WeightView wo;                 // [n_embd x n_q]
  std::vector<float> bq, bk, bv; // qwen2 only: [n_q], [n_kv], [n_kv]
  std::vector<float> q_norm;     // qwen3 only: [head_dim]
  std::vector<float> k_norm;     // qwen3 only: [head_dim]
  std::vector<float> ffn_norm;   // [n_embd]
  WeightView w_gate;             // [n_ff x n_embd]
  WeightView w_up;               // [n_ff x n_embd]
  WeightView w_down;             // [n_embd x n_ff]
};

struct ModelWeights {
  WeightView token_embd;            // [n_vocab x n_embd]
  std::vector<float> output_norm;   // [n_embd]
  WeightView output;                // [n_vocab x n_embd]; token_embd when tied
  bool tied_output = false;
  std::vector<LayerWeights> layers;
};

// Binds every tensor the architecture needs; an error names the tensor
// that is missing, mis-shaped or of an unsupported type.
base::Result<ModelWeights> BindWeights(const GgufFile& gguf, HParams* hparams);

}  // namespace engine
