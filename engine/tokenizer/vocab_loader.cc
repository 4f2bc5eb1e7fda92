// Builds a Vocab from tokenizer.ggml.* metadata: model and pre-tokenizer
// type, token texts, scores and types, then (in other files) merges and
// special tokens.
#include <algorithm>
#include <cstdint>
#include <string>

#include "base/log.h"
#include "engine/tokenizer/metadata.h"
#include "engine/tokenizer/vocab.h"

namespace engine::tokenizer_internal {
namespace {

// GGUF token types (tokenizer.ggml.token_type values).
enum TokenType : int64_t {
  kTypeUndefined = 0,
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

uint32_t AttrFromType(int64_t type) {
  switch (type) {
    case kTypeNormal: return kAttrNormal;
    case kTypeUnknown: return kAttrUnknown;
    case kTypeControl: return kAttrControl;
    case kTypeUserDefined: return kAttrUserDefined;
    case kTypeUnused: return kAttrUnused;
    case kTypeByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

base::Status ReadModelType(const GgufFile& gguf, Vocab* vocab) {
  ASSIGN_OR_RETURN(std::string model, RequiredString(gguf, "tokenizer.ggml.model"));
  if (model == "llama") {
    vocab->kind = TokenizerKind::kSpm;
  } else if (model == "gpt2") {
    vocab->kind = TokenizerKind::kBpe;
  } else if (model == "bert") {
    vocab->kind = TokenizerKind::kWpm;
  } else {
    return base::Unsupported("unknown tokenizer.ggml.model '" + model +
                             "' (supported: llama, gpt2, bert)");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> pre, OptionalString(gguf, "tokenizer.ggml.pre"));
  vocab->pre_name = pre.value_or("");
  if (vocab->kind != TokenizerKind::kBpe) return base::Status::Ok();  // only BPE has pre-tokenizers

  if (vocab->pre_name.empty()) {
    LOG(WARNING) << "tokenizer.ggml.pre is missing; using the 'default' pre-tokenizer, "
                    "which may tokenize differently from the model's training";
  }
  std::optional<PreTokenizerSpec> spec = LookupPreTokenizer(vocab->pre_name.empty() ? "default" : vocab->pre_name);
  if (!spec) {
    return base::Unsupported("unknown tokenizer.ggml.pre '" + vocab->pre_name +
                             "' (supported: " + std::string(KnownPreTokenizerNames()) + ")");
  }
  vocab->pre = spec->type;
  vocab->ignore_merges = spec->ignore_merges;
  vocab->add_bos = spec->add_bos;
  return base::Status::Ok();
}

base::Status ReadTokens(const GgufFile& gguf, Vocab* vocab) {
  constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
  ASSIGN_OR_RETURN(const GgufValue* tokens, RequiredArray(gguf, kTokensKey, GgufType::kString));
  const size_t n = tokens->strings.size();
  if (n == 0) return base::InvalidArgument(std::string(kTokensKey) + " is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return base::InvalidArgument(std::string(kTokensKey) + " is too large");

  vocab->text.resize(n);
  vocab->score.assign(n, 0.0f);
  vocab->attr.assign(n, kAttrNormal);
  vocab->ids.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string& text = vocab->text[i];
    text = std::string(tokens->strings[i]);
    // As llama.cpp: an empty entry would match everywhere, so rename it.
    if (text.empty()) text = "[EMPTY_" + std::to_string(i) + "]";
    vocab->max_token_len = std::max(vocab->max_token_len, text.size());
  }
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = vocab->ids.Insert(vocab->text[i], static_cast<int32_t>(i));
    if (id != static_cast<int32_t>(i)) {
      return base::InvalidArgument(std::string(kTokensKey) + ": duplicate token '" + vocab->text[i] +
                                   "' at ids " + std::to_string(id) + " and " + std::to_string(i));
    }
  }

  ASSIGN_OR_RETURN(const GgufValue* scores, OptionalNumericArray(gguf, "tokenizer.ggml.scores", n));
  if (scores) {
    for (size_t i = 0; i < n; ++i) vocab->score[i] = static_cast<float>(scores->ArrayNumber(i));
  }
  ASSIGN_OR_RETURN(const GgufValue* types, OptionalNumericArray(gguf, "tokenizer.ggml.token_type", n));
  if (types) {
    if (types->array_type == GgufType::kFloat32 || types->array_type == GgufType::kFloat64) {
      return base::InvalidArgument("tokenizer.ggml.token_type must hold integers, not floats");
    }
    for (size_t i = 0; i < n; ++i) vocab->attr[i] = AttrFromType(types->ArrayInt(i));
  }
  return base::Status::Ok();
}

// Byte fallback for SPM: <0xAB>, else the byte itself as a token.
void FindSpmByteTokens(Vocab* vocab) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    int32_t id = vocab->Find(std::string_view(name, 6));
    if (id < 0) id = vocab->Find(std::string_view(reinterpret_cast<const char*>(&b), 1));
    vocab->byte_token[b] = id;
  }
}

}  // namespace

base::Result<std::unique_ptr<Vocab>> BuildVocab(const GgufFile& gguf) {
  auto vocab = std::make_unique<Vocab>();
  vocab->byte_token.fill(-1);
  vocab->byte_symbol.fill(-1);
  vocab->single_byte_token.fill(-1);

  RETURN_IF_ERROR(ReadModelType(gguf, vocab.get()));
  switch (vocab->kind) {
    case TokenizerKind::kSpm:
      vocab->add_space_prefix = true;
      vocab->add_bos = true;
      break;
    case TokenizerKind::kWpm:
      vocab->add_bos = true;
      vocab->add_sep = true;
      break;
    case TokenizerKind::kBpe:
      break;  // add_bos set by the pre-tokenizer
  }
  ASSIGN_OR_RETURN(std::optional<bool> space_prefix, OptionalBool(gguf, "tokenizer.ggml.add_space_prefix"));
  if (space_prefix) vocab->add_space_prefix = *space_prefix;

  RETURN_IF_ERROR(ReadTokens(gguf, vocab.get()));
  if (vocab->kind == TokenizerKind::kSpm) FindSpmByteTokens(vocab.get());
  if (vocab->kind == TokenizerKind::kBpe) RETURN_IF_ERROR(LoadBpeMerges(gguf, vocab.get()));
  RETURN_IF_ERROR(LoadSpecialTokens(gguf, vocab.get()));
  BuildPieces(vocab.get());
  return vocab;
}

}  // namespace engine::tokenizer_internal
