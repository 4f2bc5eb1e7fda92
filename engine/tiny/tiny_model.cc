#include "engine/tiny/tiny_model.h"

#include <cstring>
#include <vector>

#include "base/hash.h"
#include "engine/gguf/gguf.h"
#include "engine/quant/quant.h"
#include "engine/quant/types.h"
#include "engine/tiny/prng.h"
#include "engine/tiny/tiny_vocab.h"

namespace engine::tiny {

using base::Result;
using base::Status;

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr uint64_t kMaxElements = uint64_t{1} << 32;  // 16 GiB of f32 weights: far beyond "tiny"

// The spec with every default filled in.
struct Plan {
  std::string arch;
  GgmlType type = GgmlType::kF32;
  uint32_t file_type = 0;  // llama.cpp's LLAMA_FTYPE for a pure file of `type`
  int64_t n_layer, n_embd, n_head, n_head_kv, n_ff, n_ctx, n_vocab, head_dim;
  bool tied;
  bool qkv_bias;  // qwen2
  bool qk_norm;   // qwen3
  double rope_base, rms_eps;
  uint64_t seed;
  std::string name;
};

Status Invalid(const std::string& what) { return base::InvalidArgument("tiny model: " + what); }

Result<uint32_t> PureFileType(GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return 0u;    // ALL_F32
    case GgmlType::kF16: return 1u;    // MOSTLY_F16
    case GgmlType::kQ4_0: return 2u;   // MOSTLY_Q4_0
    case GgmlType::kQ8_0: return 7u;   // MOSTLY_Q8_0
    case GgmlType::kQ4_K: return 14u;  // MOSTLY_Q4_K_S, which is what llama-quantize --pure calls all-Q4_K
    case GgmlType::kQ5_K: return 16u;  // MOSTLY_Q5_K_S
    case GgmlType::kQ6_K: return 18u;  // MOSTLY_Q6_K
    case GgmlType::kBF16: return 32u;  // MOSTLY_BF16
    default: return Invalid("--type must be one of f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k");
  }
}

Status CheckRowLength(const Plan& p, const char* what, int64_t n) {
  const GgmlTypeTraits& t = TraitsOf(p.type);
  if (n % t.block_size == 0) return Status::Ok();
  return Invalid(std::string(t.name) + " packs rows in blocks of " + std::to_string(t.block_size) +
                 " values, so " + what + " = " + std::to_string(n) + " must be a multiple of " +
                 std::to_string(t.block_size));
}

Result<Plan> MakePlan(const TinyModelSpec& spec, int64_t n_vocab) {
  Plan p;
  p.arch = spec.arch;
  if (p.arch != "llama" && p.arch != "qwen2" && p.arch != "qwen3") {
    return Invalid("--arch must be llama, qwen2 or qwen3 (got '" + spec.arch + "')");
  }
  std::optional<GgmlType> type = ParseGgmlType(spec.weight_type);
  if (!type) return Invalid("unknown --type '" + spec.weight_type + "'");
  p.type = *type;
  ASSIGN_OR_RETURN(p.file_type, PureFileType(p.type));
  const bool qwen = p.arch != "llama";
  p.n_layer = spec.n_layer;
  p.n_embd = spec.n_embd;
  p.n_head = spec.n_head;
  p.n_head_kv = spec.n_head_kv;
  p.n_ff = spec.n_ff;
  p.n_ctx = spec.context_length;
  p.n_vocab = n_vocab;
  const std::pair<const char*, int64_t> dims[] = {{"layers", p.n_layer}, {"embd", p.n_embd},  {"heads", p.n_head},
                                                  {"kv-heads", p.n_head_kv}, {"ff", p.n_ff}, {"ctx", p.n_ctx}};
  for (const auto& [flag, v] : dims) {
    if (v < 1 || v > kMaxDim) return Invalid("--" + std::string(flag) + " must be 1.." + std::to_string(kMaxDim));
  }
  if (p.n_head % p.n_head_kv != 0) {
    return Invalid("--heads (" + std::to_string(p.n_head) + ") must be a multiple of --kv-heads (" +
                   std::to_string(p.n_head_kv) + ")");
  }
  if (spec.head_dim == 0 && p.n_embd % p.n_head != 0) {
    return Invalid("--embd (" + std::to_string(p.n_embd) + ") must be a multiple of --heads (" +
                   std::to_string(p.n_head) + ") unless --head-dim is given");
  }
  p.head_dim = spec.head_dim != 0 ? spec.head_dim : p.n_embd / p.n_head;
  if (p.head_dim < 2 || p.head_dim > kMaxDim || p.head_dim % 2 != 0) {
    return Invalid("head dim " + std::to_string(p.head_dim) + " must be even and positive (RoPE rotates pairs)");
  }
  RETURN_IF_ERROR(CheckRowLength(p, "--embd", p.n_embd));
  RETURN_IF_ERROR(CheckRowLength(p, "--heads x head dim", p.n_head * p.head_dim));
  RETURN_IF_ERROR(CheckRowLength(p, "--ff", p.n_ff));
  const uint64_t per_layer = static_cast<uint64_t>(p.n_embd) *
                             static_cast<uint64_t>(2 * (p.n_head + p.n_head_kv) * p.head_dim + 3 * p.n_ff);
  const uint64_t total = static_cast<uint64_t>(p.n_layer) * per_layer +
                         2 * static_cast<uint64_t>(p.n_embd) * static_cast<uint64_t>(p.n_vocab);
  if (total > kMaxElements) return Invalid("the model would have " + std::to_string(total) + " weights; too many");
  p.tied = spec.tie_embeddings.value_or(qwen);
  p.qkv_bias = p.arch == "qwen2";
  p.qk_norm = p.arch == "qwen3";
  p.rope_base = spec.rope_freq_base.value_or(qwen ? 1e6 : 1e4);
  p.rms_eps = spec.rms_norm_eps.value_or(qwen ? 1e-6 : 1e-5);
  if (!(p.rope_base > 0) || !(p.rms_eps > 0)) return Invalid("rope base and rms eps must be positive");
  p.seed = spec.seed;
  p.name = spec.name.empty() ? "longhaul-tiny-" + p.arch + "-" + spec.weight_type : spec.name;
  return p;
}

enum class Fill { kMatrix, kOnes, kBias };

// Generates one tensor and stores it in `type`.
Status AddGenerated(const Plan& p, GgufTensorToWrite info, Fill fill, GgufWriter* out) {
  const int64_t row = info.ne[0];
  const int64_t rows = info.ne[1] * info.ne[2] * info.ne[3];
  const GgmlType type = info.n_dims >= 2 ? p.type : GgmlType::kF32;
  info.type = type;
  SplitMix64 rng(p.seed ^ base::Hash64(info.name));
  const double scale = fill == Fill::kMatrix ? 1.0 / std::sqrt(static_cast<double>(row)) : 0.02;
  const int64_t row_bytes = RowBytes(type, row);
  std::string bytes(static_cast<size_t>(row_bytes * rows), '\0');
  std::vector<float> values(static_cast<size_t>(row));  // [row] one row of f32 weights
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : values) v = fill == Fill::kOnes ? 1.0f : static_cast<float>(rng.NextGaussian() * scale);
    void* dst = bytes.data() + r * row_bytes;
    if (type == GgmlType::kF32) {
      std::memcpy(dst, values.data(), values.size() * sizeof(float));
    } else {
      RETURN_IF_ERROR(QuantizeRow(type, values.data(), dst, row).WithContext("tensor '" + info.name + "'"));
    }
  }
  return out->AddTensor(info, std::move(bytes));
}

GgufTensorToWrite Shape(std::string name, int64_t ne0, int64_t ne1 = 0) {
  GgufTensorToWrite t;
  t.name = std::move(name);
  t.n_dims = ne1 > 0 ? 2 : 1;
  t.ne[0] = ne0;
  t.ne[1] = ne1 > 0 ? ne1 : 1;
  return t;
}

Status AddTensors(const Plan& p, GgufWriter* w) {
  const int64_t q_dim = p.n_head * p.head_dim;
  const int64_t kv_dim = p.n_head_kv * p.head_dim;
  RETURN_IF_ERROR(AddGenerated(p, Shape("token_embd.weight", p.n_embd, p.n_vocab), Fill::kMatrix, w));
  RETURN_IF_ERROR(AddGenerated(p, Shape("output_norm.weight", p.n_embd), Fill::kOnes, w));
  if (!p.tied) RETURN_IF_ERROR(AddGenerated(p, Shape("output.weight", p.n_embd, p.n_vocab), Fill::kMatrix, w));
  for (int64_t l = 0; l < p.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_norm.weight", p.n_embd), Fill::kOnes, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_q.weight", p.n_embd, q_dim), Fill::kMatrix, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_k.weight", p.n_embd, kv_dim), Fill::kMatrix, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_v.weight", p.n_embd, kv_dim), Fill::kMatrix, w));
    if (p.qkv_bias) {
      RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_q.bias", q_dim), Fill::kBias, w));
      RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_k.bias", kv_dim), Fill::kBias, w));
      RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_v.bias", kv_dim), Fill::kBias, w));
    }
    if (p.qk_norm) {
      RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_q_norm.weight", p.head_dim), Fill::kOnes, w));
      RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_k_norm.weight", p.head_dim), Fill::kOnes, w));
    }
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "attn_output.weight", q_dim, p.n_embd), Fill::kMatrix, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "ffn_norm.weight", p.n_embd), Fill::kOnes, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "ffn_gate.weight", p.n_embd, p.n_ff), Fill::kMatrix, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "ffn_up.weight", p.n_embd, p.n_ff), Fill::kMatrix, w));
    RETURN_IF_ERROR(AddGenerated(p, Shape(b + "ffn_down.weight", p.n_ff, p.n_embd), Fill::kMatrix, w));
  }
  return Status::Ok();
}

Status AddHparams(const Plan& p, GgufWriter* w) {
  using V = GgufMetaValue;
  const std::string a = p.arch + ".";
  auto u32 = [](int64_t v) { return V::U32(static_cast<uint32_t>(v)); };
  RETURN_IF_ERROR(w->AddMeta("general.architecture", V::String(p.arch)));
  RETURN_IF_ERROR(w->AddMeta("general.type", V::String("model")));
  RETURN_IF_ERROR(w->AddMeta("general.name", V::String(p.name)));
  RETURN_IF_ERROR(w->AddMeta(a + "block_count", u32(p.n_layer)));
  RETURN_IF_ERROR(w->AddMeta(a + "context_length", u32(p.n_ctx)));
  RETURN_IF_ERROR(w->AddMeta(a + "embedding_length", u32(p.n_embd)));
  RETURN_IF_ERROR(w->AddMeta(a + "feed_forward_length", u32(p.n_ff)));
  RETURN_IF_ERROR(w->AddMeta(a + "attention.head_count", u32(p.n_head)));
  RETURN_IF_ERROR(w->AddMeta(a + "attention.head_count_kv", u32(p.n_head_kv)));
  if (p.qk_norm || p.head_dim * p.n_head != p.n_embd) {
    RETURN_IF_ERROR(w->AddMeta(a + "attention.key_length", u32(p.head_dim)));
    RETURN_IF_ERROR(w->AddMeta(a + "attention.value_length", u32(p.head_dim)));
  }
  RETURN_IF_ERROR(w->AddMeta(a + "rope.dimension_count", u32(p.head_dim)));
  RETURN_IF_ERROR(w->AddMeta(a + "rope.freq_base", V::F32(static_cast<float>(p.rope_base))));
  RETURN_IF_ERROR(w->AddMeta(a + "attention.layer_norm_rms_epsilon", V::F32(static_cast<float>(p.rms_eps))));
  RETURN_IF_ERROR(w->AddMeta(a + "vocab_size", u32(p.n_vocab)));
  RETURN_IF_ERROR(w->AddMeta("general.file_type", V::U32(p.file_type)));
  if (p.type != GgmlType::kF32 && p.type != GgmlType::kF16 && p.type != GgmlType::kBF16) {
    RETURN_IF_ERROR(w->AddMeta("general.quantization_version", V::U32(2)));  // ggml's GGML_QNT_VERSION
  }
  return Status::Ok();
}

// tokenizer.* metadata, either built in or copied from another GGUF.
struct TokenizerMeta {
  std::vector<std::pair<std::string, GgufMetaValue>> keys;
  int64_t n_vocab = 0;
};

Result<TokenizerMeta> BuiltInTokenizer(const std::string& arch, int64_t n_vocab) {
  ASSIGN_OR_RETURN(TinyVocab vocab, BuildTinyVocab(n_vocab));
  using V = GgufMetaValue;
  TokenizerMeta t;
  t.n_vocab = n_vocab;
  t.keys.emplace_back("tokenizer.ggml.model", V::String("gpt2"));
  t.keys.emplace_back("tokenizer.ggml.pre", V::String(arch == "llama" ? "default" : "qwen2"));
  t.keys.emplace_back("tokenizer.ggml.tokens", V::StringArray(std::move(vocab.tokens)));
  t.keys.emplace_back("tokenizer.ggml.token_type", V::Int32Array(vocab.token_types));
  t.keys.emplace_back("tokenizer.ggml.merges", V::StringArray(std::move(vocab.merges)));
  t.keys.emplace_back("tokenizer.ggml.bos_token_id", V::U32(static_cast<uint32_t>(vocab.bos_id)));
  t.keys.emplace_back("tokenizer.ggml.eos_token_id", V::U32(static_cast<uint32_t>(vocab.eos_id)));
  t.keys.emplace_back("tokenizer.ggml.add_bos_token", V::Bool(arch == "llama"));
  t.keys.emplace_back("tokenizer.ggml.add_eos_token", V::Bool(false));
  t.keys.emplace_back("tokenizer.chat_template", V::String(std::string(TinyChatTemplate())));
  return t;
}

Result<TokenizerMeta> CopiedTokenizer(base::FileSystem* fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> src, GgufFile::Open(fs, path));
  const GgufValue* tokens = src->Find("tokenizer.ggml.tokens");
  if (tokens == nullptr || !tokens->is_array() || tokens->array_type != GgufType::kString) {
    return Invalid("--vocab-from " + path + " has no tokenizer.ggml.tokens string array");
  }
  TokenizerMeta t;
  t.n_vocab = static_cast<int64_t>(tokens->array_count);
  for (const auto& [key, value] : src->metadata()) {
    if (!key.starts_with("tokenizer.")) continue;
    auto copied = GgufMetaValue::FromParsed(value);
    if (!copied.ok()) return copied.status().WithContext(path + ": " + key);
    t.keys.emplace_back(key, std::move(copied).value());
  }
  return t;
}

}  // namespace

Result<GgufWriter> BuildTinyModel(base::FileSystem* fs, const TinyModelSpec& spec) {
  if (spec.n_vocab < 0 || spec.n_vocab > kMaxDim) return Invalid("--vocab must be 1.." + std::to_string(kMaxDim));
  TokenizerMeta tok;
  if (spec.vocab_from.empty()) {
    ASSIGN_OR_RETURN(tok, BuiltInTokenizer(spec.arch, spec.n_vocab != 0 ? spec.n_vocab : 512));
  } else {
    ASSIGN_OR_RETURN(tok, CopiedTokenizer(fs, spec.vocab_from));
    if (spec.n_vocab != 0 && spec.n_vocab != tok.n_vocab) {
      return Invalid("--vocab " + std::to_string(spec.n_vocab) + " disagrees with the " +
                     std::to_string(tok.n_vocab) + " tokens of " + spec.vocab_from);
    }
  }
  ASSIGN_OR_RETURN(const Plan plan, MakePlan(spec, tok.n_vocab));
  GgufWriter writer;
  RETURN_IF_ERROR(AddHparams(plan, &writer));
  for (auto& [key, value] : tok.keys) RETURN_IF_ERROR(writer.AddMeta(key, std::move(value)));
  RETURN_IF_ERROR(AddTensors(plan, &writer));
  return writer;
}

}  // namespace engine::tiny

namespace engine {

base::Status WriteTinyModel(base::FileSystem* fs, const TinyModelSpec& spec, const std::string& path) {
  ASSIGN_OR_RETURN(GgufWriter writer, tiny::BuildTinyModel(fs, spec));
  return writer.WriteTo(fs, path);
}

base::Status WriteTinyModel(const TinyModelSpec& spec, const std::string& path) {
  return WriteTinyModel(base::DefaultFileSystem(), spec, path);
}

}  // namespace engine
