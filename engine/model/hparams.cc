#include "engine/model/hparams.h"

namespace engine {

std::string ArchName(Arch arch) {
  switch (arch) {
    case Arch::kLlama: return "llama";
    case Arch::kQwen2: return "qwen2";
    case Arch::kQwen3: return "qwen3";
  }
  return "unknown";
}

namespace {

base::Result<int> ReadPositive(const GgufFile& gguf, const std::string& key, int64_t max) {
  ASSIGN_OR_RETURN(int64_t v, gguf.GetInt(key));
  if (v <= 0 || v > max) {
    return base::InvalidArgument("GGUF metadata '" + key + "' = " + std::to_string(v) + " is out of range");
  }
  return static_cast<int>(v);
}

}  // namespace

base::Result<HParams> ReadHParams(const GgufFile& gguf) {
  HParams hp;
  ASSIGN_OR_RETURN(hp.arch_name, gguf.GetString("general.architecture"));
  if (hp.arch_name == "llama") {
    hp.arch = Arch::kLlama;
  } else if (hp.arch_name == "qwen2") {
    hp.arch = Arch::kQwen2;
  } else if (hp.arch_name == "qwen3") {
    hp.arch = Arch::kQwen3;
  } else {
    return base::Unsupported("unknown model architecture '" + hp.arch_name +
                             "' (supported: llama, qwen2, qwen3)");
  }
  const std::string p = hp.arch_name + ".";
  ASSIGN_OR_RETURN(hp.n_layer, ReadPositive(gguf, p + "block_count", 4096));
  ASSIGN_OR_RETURN(hp.n_embd, ReadPositive(gguf, p + "embedding_length", 1 << 20));
  ASSIGN_OR_RETURN(hp.n_head, ReadPositive(gguf, p + "attention.head_count", 1 << 14));
  ASSIGN_OR_RETURN(hp.n_ff, ReadPositive(gguf, p + "feed_forward_length", 1 << 22));
  hp.n_head_kv = hp.n_head;
  if (gguf.Find(p + "attention.head_count_kv")) {
    ASSIGN_OR_RETURN(hp.n_head_kv, ReadPositive(gguf, p + "attention.head_count_kv", 1 << 14));
  }
  hp.n_ctx_train = static_cast<int>(gguf.GetIntOr(p + "context_length", 2048));
  hp.head_dim = hp.n_embd / hp.n_head;
  if (gguf.Find(p + "attention.key_length")) {
    ASSIGN_OR_RETURN(hp.head_dim, ReadPositive(gguf, p + "attention.key_length", 1 << 14));
    int64_t v_len = gguf.GetIntOr(p + "attention.value_length", hp.head_dim);
    if (v_len != hp.head_dim) return base::Unsupported("attention.value_length != key_length");
  }
  hp.n_rot = static_cast<int>(gguf.GetIntOr(p + "rope.dimension_count", hp.head_dim));
  if (hp.n_rot != hp.head_dim) {
    return base::Unsupported("partial RoPE (rope.dimension_count " + std::to_string(hp.n_rot) +
                             " != head dim " + std::to_string(hp.head_dim) + ")");
  }
  if (hp.head_dim % 2 != 0) return base::InvalidArgument("head dimension must be even for RoPE");
  if (hp.n_head % hp.n_head_kv != 0) {
    return base::InvalidArgument("attention.head_count " + std::to_string(hp.n_head) +
                                 " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv));
  }
  hp.rms_eps = static_cast<float>(gguf.GetFloatOr(p + "attention.layer_norm_rms_epsilon", 1e-5));
  hp.rope_freq_base = static_cast<float>(gguf.GetFloatOr(p + "rope.freq_base", 10000.0));
  const std::string scaling = gguf.GetStringOr(p + "rope.scaling.type", "none");
  if (scaling == "linear") {
    double factor = gguf.GetFloatOr(p + "rope.scaling.factor", 1.0);
    if (!(factor > 0)) return base::InvalidArgument("rope.scaling.factor must be positive");
    hp.rope_freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none") {
    return base::Unsupported("rope scaling type '" + scaling + "' (supported: none, linear)");
  }
  hp.rope_style = hp.arch == Arch::kLlama ? RopeStyle::kAdjacent : RopeStyle::kHalves;
  hp.qkv_bias = hp.arch == Arch::kQwen2;
  hp.qk_norm = hp.arch == Arch::kQwen3;
  if (!(hp.rms_eps > 0) || !(hp.rope_freq_base > 0)) {
    return base::InvalidArgument("rms epsilon and rope.freq_base must be positive");
  }
  return hp;
}

}  // namespace engine
