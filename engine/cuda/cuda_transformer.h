// The forward pass on a CUDA device: the CPU Transformer's math
// (transformer.h), op for op, with weights, activations and the KV tiers
// in device memory.
//
// Each chunk runs every layer on the device, then copies every layer's
// keys and values back to the host cache in one transfer, waited for
// once, with the logits, at the end of the chunk. That host cache is what
// checkpoints export (device_kv.h). A decode step is launch-bound on
// small models (hundreds of small kernels), so the residual adds ride on
// the output projections (MatMulArgs::accumulate), and with KV tiers that
// allow it (dense) the whole step is captured once as a graph and
// replayed, its position read from device memory (pos_).
//
// Ownership: owns the Gpu, and everything allocated on it, which it frees
// before the Gpu. Threading: one thread at a time (ForwardPass).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_weights.h"
#include "engine/cuda/device_kv.h"
#include "engine/model/forward_pass.h"
#include "kernels/gpu.h"

namespace engine::cuda {

class CudaTransformer final : public ForwardPass {
 public:
  static base::Result<std::unique_ptr<CudaTransformer>> Create(std::shared_ptr<const LoadedModel> model,
                                                               std::unique_ptr<AttentionCache> cache,
                                                               const CudaForwardOptions& options);
  ~CudaTransformer() override;

  base::Status Forward(std::span<const int32_t> tokens, float* all_logits) override;
  // Copies the logits to the host on first use after a Forward.
  std::span<const float> last_logits() const override;
  int64_t n_past() const override { return n_past_; }
  void Truncate(int64_t n) override;
  AttentionCache& cache() override { return kv_->host(); }
  const AttentionCache& cache() const override { return kv_->host(); }
  base::Status SetRestoredState(std::span<const float> last_logits) override;
  base::Status TopTokens(int k, float temperature, std::vector<TokenProb>* out) override;
  std::string backend_name() const override { return "cuda:" + std::to_string(gpu_->info().index); }
  // Decode steps run as a replay of the captured graph (a failed capture
  // falls back to launches that compute the same, so only this tells).
  int64_t graph_replays() const { return graph_replays_; }
  size_t kv_bytes() const override { return kv_->host().memory_bytes() + kv_->device_bytes(); }

 private:
  CudaTransformer() = default;
  base::Status Allocate();
  base::Status ForwardChunk(const int32_t* tokens, int64_t n, float* all_logits);
  // The device work of a chunk whose ids are uploaded: embedding, layers,
  // final norm and the logits of rows [first_row, n). With device_pos the
  // position is read from there (capturable); else n_past_ is used.
  base::Status RunModel(int64_t n, int64_t first_row, const int64_t* device_pos);
  // One decode step's device work as a replayed graph, captured on first
  // use; false when the tiers or a failed capture rule graphs out.
  bool DecodeByGraph();
  base::Status Attention(int layer, int64_t n, const int64_t* device_pos);
  base::Status FeedForward(int layer, int64_t n);
  // The host cache takes every layer's rows of the chunk (after the sync).
  base::Status StoreOnHost(int64_t n);

  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<kernels::Gpu> gpu_;  // first: destroyed after everything on it
  CudaWeights weights_;
  std::unique_ptr<DeviceKv> kv_;
  int64_t max_chunk_ = 0;
  int64_t n_past_ = 0;
  bool keep_pre_rope_k_ = false;
  base::Status fault_;  // a device error after which no result may be used (until Truncate(0))

  // Device activations for one chunk of n <= max_chunk_ tokens.
  kernels::DeviceBuffer ids_;     // [c] int32
  kernels::DeviceBuffer pos_;     // [1] int64: the chunk's first position
  kernels::DeviceBuffer x_;       // [c][n_embd]   residual stream
  kernels::DeviceBuffer xn_;      // [c][n_embd]   normed input of a sub-layer
  kernels::DeviceBuffer q_;       // [c][n_q]
  kernels::DeviceBuffer rows_;    // [n_layer][row_slots()][n][n_kv] per chunk of n: k, v(, k before RoPE)
  kernels::DeviceBuffer attn_;    // [c][n_q]
  kernels::DeviceBuffer gate_;    // [c][n_ff]
  kernels::DeviceBuffer up_;      // [c][n_ff]
  kernels::DeviceBuffer logits_;  // [rows][n_vocab], rows grows to c only when all logits are asked for
  kernels::DeviceBuffer top_ids_, top_probs_;  // [kMaxTopK]
  const float* last_logits_device_ = nullptr;  // [n_vocab] inside logits_
  // Pinned host staging.
  kernels::PinnedBuffer ids_host_;  // [c] int32
  kernels::PinnedBuffer pos_host_;  // [1] int64
  kernels::PinnedBuffer kv_host_;   // rows_'s copy, for the host cache
  std::unique_ptr<kernels::GpuGraph> decode_graph_;  // valid while logits_ is not reallocated
  bool graphs_ = false;  // the tiers are capturable and no capture has failed
  int64_t graph_replays_ = 0;
  // Key/value rows per layer and token: k and v, plus k before RoPE when
  // the tiers keep it.
  int64_t row_slots() const { return keep_pre_rope_k_ ? 3 : 2; }
  mutable std::vector<float> last_logits_;  // [n_vocab]
  mutable bool logits_on_host_ = true;
};

}  // namespace engine::cuda
