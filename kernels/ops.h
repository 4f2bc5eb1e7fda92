// The forward pass's device operators. Host-only declarations; every
// pointer named "device" lives in the Gpu's memory, and each op is
// enqueued on the Gpu's stream (gpu.h: threading and errors).
//
// Weights keep their GGUF block layout on the device (the same bytes as
// the file), so one upload serves both the quantized matrix-vector kernels
// (decode) and the dequantize-then-cuBLAS path (prefill).
#pragma once

#include <cstdint>

#include "base/status.h"
#include "kernels/gpu.h"

namespace kernels {

// The weight formats the device kernels decode (ggml's block layouts).
enum class WeightType : int { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_K, kQ5_K, kQ6_K };

// Values per block (32 or 256) and bytes per block of `type`.
int WeightBlockValues(WeightType type);
int WeightBlockBytes(WeightType type);

// A row-major weight matrix on the device: rows of `cols` values, each
// row WeightBlockBytes * cols / WeightBlockValues bytes.
struct DeviceMatrix {
  WeightType type = WeightType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features, a multiple of the block size
};

// Tokens up to which MatMul reads the quantized weights directly (one pass
// over the matrix serves every token); above it, cuBLAS multiplies with
// fp32 accumulation, in the CPU backend's dot formats: fp32 for F32
// weights, fp16/bf16 for F16/BF16, and bf16 (dequantized) for the
// quantized types, whose activations the CPU rounds to 8 bits.
inline constexpr int64_t kGemvMaxTokens = 8;

// y[t][r] = sum_c w[r][c] * x[t][c], or y[t][r] += that with accumulate
// (the residual adds of the forward pass, without a launch of their own).
struct MatMulArgs {
  DeviceMatrix w;
  const float* x = nullptr;  // device [n_tokens][w.cols]
  float* y = nullptr;        // device [n_tokens][w.rows], must not alias x
  int64_t n_tokens = 0;
  bool accumulate = false;
};
base::Status MatMul(Gpu& gpu, const MatMulArgs& args);

// out[t][c] = w[ids[t]][c] (the embedding lookup).
struct GatherRowsArgs {
  DeviceMatrix w;
  const int32_t* ids = nullptr;  // device [n_tokens], each in [0, w.rows)
  float* out = nullptr;          // device [n_tokens][w.cols]
  int64_t n_tokens = 0;
};
base::Status GatherRows(Gpu& gpu, const GatherRowsArgs& args);

// Dequantizes a whole matrix to fp16 or bf16 (out: device [rows][cols]).
base::Status DequantizeToF16(Gpu& gpu, const DeviceMatrix& w, void* out);
base::Status DequantizeToBF16(Gpu& gpu, const DeviceMatrix& w, void* out);

// out[r][i] = x[r][i] / sqrt(mean_i(x[r]^2) + eps) * weight[i]; in place
// when out == x. Also the per-head q/k norm (rows = tokens * heads).
struct RmsNormArgs {
  const float* x = nullptr;       // device [rows][n]
  const float* weight = nullptr;  // device [n]
  float* out = nullptr;           // device [rows][n]
  int64_t rows = 0;
  int n = 0;
  float eps = 1e-5f;
};
base::Status RmsNorm(Gpu& gpu, const RmsNormArgs& args);

enum class RopePairing { kAdjacent, kHalves };  // (2i, 2i+1) or (i, i + d/2)

// Positions: the ops below that take a first_pos also take an optional
// device pointer to it, read when the kernel runs rather than when it is
// launched, so that one captured graph (gpu.h) serves every decode step.
// The host value must still be valid for the argument checks.

// Rotates x[t][h] in place at position first_pos + t:
// theta_i = pos * freq_scale * freq_base^(-2i / n_rot), angles in double.
struct RopeArgs {
  float* x = nullptr;  // device [n_tokens][n_heads][head_dim]
  int64_t n_tokens = 0;
  int64_t first_pos = 0;
  const int64_t* first_pos_device = nullptr;  // device [1]; overrides first_pos when set
  int n_heads = 0;
  int head_dim = 0;
  int n_rot = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  RopePairing pairing = RopePairing::kAdjacent;
};
base::Status Rope(Gpu& gpu, const RopeArgs& args);

// out[i] = silu(gate[i]) * up[i]; out may alias gate.
base::Status SwiGlu(Gpu& gpu, const float* gate, const float* up, int64_t n, float* out);
// y[i] += x[i].
base::Status Add(Gpu& gpu, float* y, const float* x, int64_t n);
// y[r][i] += bias[i] for r < rows.
base::Status AddBias(Gpu& gpu, float* y, const float* bias, int64_t rows, int64_t n);

// --- Dense KV cache: per KV head, [capacity][head_dim] keys and values,
// fp16 or fp32 (element_bytes 2 or 4).
struct DenseKvLayout {
  void* k = nullptr;  // device [n_head_kv][capacity][head_dim]
  void* v = nullptr;  // device [n_head_kv][capacity][head_dim]
  int64_t capacity = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int element_bytes = 2;
};

// Writes rows [first_pos, first_pos + n_tokens) of one layer.
struct DenseKvStoreArgs {
  DenseKvLayout cache;
  const float* k = nullptr;  // device [n_tokens][n_head_kv * head_dim]
  const float* v = nullptr;  // device [n_tokens][n_head_kv * head_dim]
  int64_t first_pos = 0;
  int64_t n_tokens = 0;
  const int64_t* first_pos_device = nullptr;  // device [1]; overrides first_pos when set
};
base::Status DenseKvStore(Gpu& gpu, const DenseKvStoreArgs& args);

// Causal attention of queries at first_pos + t over cached positions
// [0, first_pos + t], scale 1/sqrt(head_dim), GQA groups of
// n_head / n_head_kv query heads per KV head.
struct DenseAttentionArgs {
  DenseKvLayout cache;
  const float* q = nullptr;  // device [n_tokens][n_head * head_dim]
  float* out = nullptr;      // device [n_tokens][n_head * head_dim]
  int64_t first_pos = 0;
  int64_t n_tokens = 0;
  int n_head = 0;
  const int64_t* first_pos_device = nullptr;  // device [1]; overrides first_pos when set
};
base::Status DenseAttention(Gpu& gpu, const DenseAttentionArgs& args);

// --- Sampling: the k largest logits, in descending order, with their
// softmax probabilities at `temperature` over the whole vocabulary.
struct TopKArgs {
  const float* logits = nullptr;  // device [n_vocab]
  int n_vocab = 0;
  int k = 0;                      // 1 <= k <= kMaxTopK
  float temperature = 1.0f;       // > 0
  int32_t* ids = nullptr;         // device [k]
  float* probs = nullptr;         // device [k]
};
inline constexpr int kMaxTopK = 256;
base::Status TopK(Gpu& gpu, const TopKArgs& args);

}  // namespace kernels
