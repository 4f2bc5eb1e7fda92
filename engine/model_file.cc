#include "engine/model_file.h"

#include "engine/gguf/fingerprint.h"
#include "engine/gguf/gguf.h"

namespace engine {

using base::Result;
using base::Status;

namespace {

// llama.cpp's names for general.file_type (enum llama_ftype).
std::string FileTypeName(int64_t ftype) {
  switch (ftype) {
    case 0: return "ALL_F32";
    case 1: return "MOSTLY_F16";
    case 2: return "MOSTLY_Q4_0";
    case 3: return "MOSTLY_Q4_1";
    case 7: return "MOSTLY_Q8_0";
    case 8: return "MOSTLY_Q5_0";
    case 9: return "MOSTLY_Q5_1";
    case 10: return "MOSTLY_Q2_K";
    case 11: return "MOSTLY_Q3_K_S";
    case 12: return "MOSTLY_Q3_K_M";
    case 13: return "MOSTLY_Q3_K_L";
    case 14: return "MOSTLY_Q4_K_S";
    case 15: return "MOSTLY_Q4_K_M";
    case 16: return "MOSTLY_Q5_K_S";
    case 17: return "MOSTLY_Q5_K_M";
    case 18: return "MOSTLY_Q6_K";
    case 32: return "MOSTLY_BF16";
    default: return "type " + std::to_string(ftype);
  }
}

// An optional key: absent is fine, present with the wrong type is an error
// that names the key and its offset (from the getters).
Status OptionalInt(const GgufFile& f, const std::string& key, std::optional<int64_t>* out) {
  if (f.Find(key) == nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(*out, f.GetInt(key));
  return Status::Ok();
}

Status OptionalFloat(const GgufFile& f, const std::string& key, std::optional<double>* out) {
  if (f.Find(key) == nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(*out, f.GetFloat(key));
  return Status::Ok();
}

Status ReadHparams(const GgufFile& f, ModelFileInfo* info) {
  const std::string a = info->architecture + ".";
  RETURN_IF_ERROR(OptionalInt(f, a + "block_count", &info->n_layer));
  RETURN_IF_ERROR(OptionalInt(f, a + "embedding_length", &info->n_embd));
  RETURN_IF_ERROR(OptionalInt(f, a + "attention.head_count", &info->n_head));
  RETURN_IF_ERROR(OptionalInt(f, a + "attention.head_count_kv", &info->n_head_kv));
  RETURN_IF_ERROR(OptionalInt(f, a + "feed_forward_length", &info->n_ff));
  RETURN_IF_ERROR(OptionalInt(f, a + "context_length", &info->context_length));
  RETURN_IF_ERROR(OptionalInt(f, a + "attention.key_length", &info->head_dim));
  RETURN_IF_ERROR(OptionalInt(f, a + "rope.dimension_count", &info->n_rot));
  RETURN_IF_ERROR(OptionalFloat(f, a + "rope.freq_base", &info->rope_freq_base));
  RETURN_IF_ERROR(OptionalFloat(f, a + "rope.scaling.factor", &info->rope_scaling_factor));
  RETURN_IF_ERROR(OptionalInt(f, a + "rope.scaling.original_context_length", &info->rope_scaling_original_context));
  RETURN_IF_ERROR(OptionalFloat(f, a + "attention.layer_norm_rms_epsilon", &info->rms_norm_eps));
  if (f.Find(a + "rope.scaling.type") != nullptr) {
    ASSIGN_OR_RETURN(info->rope_scaling_type, f.GetString(a + "rope.scaling.type"));
  }
  // The n_head_kv key is optional in llama.cpp: it defaults to n_head.
  if (!info->n_head_kv) info->n_head_kv = info->n_head;
  if (!info->head_dim && info->n_embd && info->n_head && *info->n_head > 0) {
    info->head_dim = *info->n_embd / *info->n_head;
  }
  return Status::Ok();
}

Status ReadTokenizer(const GgufFile& f, ModelFileInfo* info) {
  if (f.Find("tokenizer.ggml.model") != nullptr) {
    ASSIGN_OR_RETURN(info->tokenizer_model, f.GetString("tokenizer.ggml.model"));
  }
  if (f.Find("tokenizer.ggml.pre") != nullptr) {
    ASSIGN_OR_RETURN(info->tokenizer_pre, f.GetString("tokenizer.ggml.pre"));
  }
  if (const GgufValue* tokens = f.Find("tokenizer.ggml.tokens"); tokens != nullptr && tokens->is_array()) {
    info->vocab_size = static_cast<int64_t>(tokens->array_count);
  } else {
    std::optional<int64_t> n;
    RETURN_IF_ERROR(OptionalInt(f, info->architecture + ".vocab_size", &n));
    info->vocab_size = n.value_or(0);
  }
  if (const GgufValue* merges = f.Find("tokenizer.ggml.merges"); merges != nullptr && merges->is_array()) {
    info->n_merges = static_cast<int64_t>(merges->array_count);
  }
  RETURN_IF_ERROR(OptionalInt(f, "tokenizer.ggml.bos_token_id", &info->bos_id));
  RETURN_IF_ERROR(OptionalInt(f, "tokenizer.ggml.eos_token_id", &info->eos_id));
  info->has_chat_template = f.Find("tokenizer.chat_template") != nullptr;
  return Status::Ok();
}

Result<ModelFileInfo> Describe(const GgufFile& f) {
  ModelFileInfo info;
  info.file_size = f.file_size();
  info.gguf_version = f.version();
  info.alignment = f.alignment();
  info.n_metadata = f.metadata().size();
  ASSIGN_OR_RETURN(info.architecture, f.GetString("general.architecture"));
  if (f.Find("general.name") != nullptr) {
    ASSIGN_OR_RETURN(info.name, f.GetString("general.name"));
  }
  if (f.Find("general.file_type") != nullptr) {
    ASSIGN_OR_RETURN(const int64_t ftype, f.GetInt("general.file_type"));
    info.file_type = FileTypeName(ftype);
  }
  RETURN_IF_ERROR(ReadHparams(f, &info));
  RETURN_IF_ERROR(ReadTokenizer(f, &info));
  for (const TensorInfo& t : f.tensors()) {
    ModelTensorSummary s;
    s.name = t.name;
    s.type = std::string(TraitsOf(t.type).name);
    s.shape.assign(t.ne, t.ne + t.n_dims);
    s.n_bytes = t.n_bytes;
    s.offset = t.offset;
    info.n_params += static_cast<uint64_t>(t.n_elements());
    info.tensor_bytes += t.n_bytes;
    info.tensors.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(info.fingerprint, ModelFingerprintHex(f));
  return info;
}

}  // namespace

Result<ModelFileInfo> DescribeModelFile(base::FileSystem* fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::Open(fs, path));
  auto info = Describe(*file);
  if (!info.ok()) return info.status().WithContext(path);
  info->path = path;
  return info;
}

Result<ModelFileInfo> DescribeModelFile(const std::string& path) {
  return DescribeModelFile(base::DefaultFileSystem(), path);
}

}  // namespace engine
