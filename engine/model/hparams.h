// Model hyperparameters, read and validated from GGUF metadata.
#pragma once

#include <string>

#include "base/status.h"
#include "engine/gguf/gguf.h"

namespace engine {

enum class Arch { kLlama, kQwen2, kQwen3 };

// How RoPE pairs up the channels of a head.
enum class RopeStyle {
  kAdjacent,  // (x[2i], x[2i+1]): llama ("NORM" in ggml)
  kHalves,    // (x[i], x[i + d/2]): qwen2/qwen3 ("NEOX" in ggml)
};

struct HParams {
  Arch arch = Arch::kLlama;
  std::string arch_name;
  int n_layer = 0;
  int n_embd = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;  // per-head width of q and k (and v)
  int n_rot = 0;     // channels rotated by RoPE (== head_dim here)
  int n_ff = 0;
  int n_vocab = 0;
  int n_ctx_train = 0;
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / linear scaling factor
  RopeStyle rope_style = RopeStyle::kAdjacent;
  bool qkv_bias = false;
  bool qk_norm = false;

  int n_q() const { return n_head * head_dim; }      // width of q
  int n_kv() const { return n_head_kv * head_dim; }  // width of k and v
  int gqa_group() const { return n_head / n_head_kv; }
};

std::string ArchName(Arch arch);

// Reads `<arch>.*` keys. Errors name the missing or inconsistent key.
base::Result<HParams> ReadHParams(const GgufFile& gguf);

}  // namespace engine
