// Special token ids, add_* flags, the end-of-generation set and the token
// attribute fix-ups llama.cpp applies by token text.
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>

#include "base/log.h"
#include "engine/tokenizer/metadata.h"
#include "engine/tokenizer/vocab.h"

namespace engine::tokenizer_internal {
namespace {

struct IdKey {
  std::string_view key;
  int32_t Vocab::*field;
  // An out-of-range value is an error for ids that change how text is
  // encoded or when generation stops; for the others it is ignored with a
  // warning, as llama.cpp does.
  bool required_valid;
};

// In llama.cpp's order: the deprecated FIM keys come last and win.
constexpr IdKey kIdKeys[] = {
    {"tokenizer.ggml.bos_token_id", &Vocab::bos, true},
    {"tokenizer.ggml.eos_token_id", &Vocab::eos, true},
    {"tokenizer.ggml.eot_token_id", &Vocab::eot, true},
    {"tokenizer.ggml.eom_token_id", &Vocab::eom, true},
    {"tokenizer.ggml.unknown_token_id", &Vocab::unk, true},
    {"tokenizer.ggml.seperator_token_id", &Vocab::sep, true},
    {"tokenizer.ggml.padding_token_id", &Vocab::pad, false},
    {"tokenizer.ggml.mask_token_id", &Vocab::mask, false},
    {"tokenizer.ggml.fim_pre_token_id", &Vocab::fim_pre, false},
    {"tokenizer.ggml.fim_suf_token_id", &Vocab::fim_suf, false},
    {"tokenizer.ggml.fim_mid_token_id", &Vocab::fim_mid, false},
    {"tokenizer.ggml.fim_pad_token_id", &Vocab::fim_pad, false},
    {"tokenizer.ggml.fim_rep_token_id", &Vocab::fim_rep, false},
    {"tokenizer.ggml.fim_sep_token_id", &Vocab::fim_sep, false},
    {"tokenizer.ggml.prefix_token_id", &Vocab::fim_pre, false},
    {"tokenizer.ggml.suffix_token_id", &Vocab::fim_suf, false},
    {"tokenizer.ggml.middle_token_id", &Vocab::fim_mid, false},
};

// Converters write "no such token" as 0xFFFFFFFF (or -1).
constexpr int64_t kNoTokenSentinel = 0xFFFFFFFFll;

void SetDefaultIds(Vocab* v) {
  switch (v->kind) {
    case TokenizerKind::kSpm:
      v->bos = 1;
      v->eos = 2;
      v->unk = 0;
      break;
    case TokenizerKind::kWpm:
      v->bos = 101;
      v->unk = 100;
      v->sep = 102;
      v->pad = 0;
      v->mask = 103;
      break;
    case TokenizerKind::kBpe:
      // llama.cpp defaults BOS and EOS to 11 (Falcon's "<|endoftext|>");
      // on any other vocab that is an ordinary token, so we use none.
      break;
  }
  for (const IdKey& k : kIdKeys) {
    if (!v->Valid(v->*k.field)) v->*k.field = -1;
  }
}

base::Status ReadIds(const GgufFile& gguf, Vocab* v) {
  for (const IdKey& k : kIdKeys) {
    ASSIGN_OR_RETURN(std::optional<int64_t> id, OptionalInt(gguf, k.key));
    if (!id) continue;
    if (*id < 0 || *id == kNoTokenSentinel) continue;  // "none": keep the default
    if (*id >= v->n_vocab()) {
      const std::string msg = "metadata key '" + std::string(k.key) + "' = " + std::to_string(*id) +
                              " is out of range for a vocabulary of " + std::to_string(v->n_vocab()) + " tokens";
      if (k.required_valid) return base::InvalidArgument(msg);
      LOG(WARNING) << msg << "; ignored";
      continue;
    }
    v->*k.field = static_cast<int32_t>(*id);
  }
  return base::Status::Ok();
}

base::Status ReadAddFlags(const GgufFile& gguf, Vocab* v) {
  ASSIGN_OR_RETURN(std::optional<bool> add_bos, OptionalBool(gguf, "tokenizer.ggml.add_bos_token"));
  ASSIGN_OR_RETURN(std::optional<bool> add_eos, OptionalBool(gguf, "tokenizer.ggml.add_eos_token"));
  ASSIGN_OR_RETURN(std::optional<bool> add_sep, OptionalBool(gguf, "tokenizer.ggml.add_sep_token"));
  if (add_bos) v->add_bos = *add_bos;
  if (add_eos) v->add_eos = *add_eos;
  if (add_sep) v->add_sep = *add_sep;
  auto check = [](bool add, int32_t id, std::string_view add_key, std::string_view id_key) {
    if (add && id < 0) {
      return base::InvalidArgument("tokenizer.ggml." + std::string(add_key) + " is true, but tokenizer.ggml." +
                                   std::string(id_key) + " is not set");
    }
    return base::Status::Ok();
  };
  RETURN_IF_ERROR(check(v->add_bos, v->bos, "add_bos_token", "bos_token_id"));
  RETURN_IF_ERROR(check(v->add_eos, v->eos, "add_eos_token", "eos_token_id"));
  RETURN_IF_ERROR(check(v->add_sep, v->sep, "add_sep_token", "seperator_token_id"));

  ASSIGN_OR_RETURN(std::optional<bool> lowercase, OptionalBool(gguf, "tokenizer.ggml.normalizer.lowercase"));
  ASSIGN_OR_RETURN(std::optional<bool> strip, OptionalBool(gguf, "tokenizer.ggml.normalizer.strip_accents"));
  v->lowercase = lowercase.value_or(true);
  v->strip_accents = strip.value_or(v->lowercase);
  return base::Status::Ok();
}

// The lowest id among tokens with one of these texts, or -1.
int32_t LowestIdOf(const Vocab& v, std::initializer_list<std::string_view> texts) {
  int32_t best = -1;
  for (std::string_view t : texts) {
    const int32_t id = v.Find(t);
    if (id >= 0 && (best < 0 || id < best)) best = id;
  }
  return best;
}

// Fills still-unset eot/eom/FIM ids from well-known token texts (lowest id
// first) and makes those tokens control tokens.
void DetectIdsByText(Vocab* v) {
  struct ByText {
    int32_t Vocab::*field;
    std::initializer_list<std::string_view> texts;
  };
  const ByText kByText[] = {
      {&Vocab::eot, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
                     "<EOT>", "_<EOT>", "[EOT]", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                     "<end_of_utterance>"}},
      {&Vocab::eom, {"<|eom_id|>"}},
      {&Vocab::fim_pre, {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
                         "<PRE>", "\xE2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>"}},
      {&Vocab::fim_suf, {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
                         "<SUF>", "\xE2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>"}},
      {&Vocab::fim_mid, {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>",
                         "<MID>", "\xE2\x96\x81<MID>", "<|code_middle|>", "<|middle|>"}},
      {&Vocab::fim_pad, {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}},
      {&Vocab::fim_rep, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}},
      {&Vocab::fim_sep, {"<|file_sep|>"}},
  };
  for (const ByText& entry : kByText) {
    if (v->*entry.field >= 0) continue;
    const int32_t id = LowestIdOf(*v, entry.texts);
    if (id < 0) continue;
    v->*entry.field = id;
    v->attr[id] |= kAttrControl;
  }
  for (int32_t id = 0; id < v->n_vocab(); ++id) {
    if ((v->attr[id] & kAttrControl) && v->text[id].find("unused") != std::string::npos) {
      v->attr[id] |= kAttrUnused;
    }
  }
}

void BuildEndOfGeneration(Vocab* v) {
  std::vector<int32_t>& eog = v->eog;
  for (int32_t id : {v->fim_pad, v->fim_rep, v->fim_sep}) {
    if (id >= 0) eog.push_back(id);
  }
  for (std::string_view t : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                             "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>",
                             "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
                             "<|tool_response>",
                             "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "[e~["}) {
    if (const int32_t id = v->Find(t); id >= 0) {
      eog.push_back(id);
      v->attr[id] |= kAttrControl;
    }
  }
  // gpt-oss: these structure tokens must always be rendered.
  for (std::string_view t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    if (const int32_t id = v->Find(t); id >= 0) v->attr[id] = kAttrUserDefined;
  }
  for (int32_t id : {v->eos, v->eot, v->eom}) {
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());

  auto in_eog = [&](std::string_view text) -> int32_t {
    for (int32_t id : eog) {
      if (v->text[id] == text) return id;
    }
    return -1;
  };
  auto drop = [&](int32_t id, uint32_t new_attr) {
    eog.erase(std::find(eog.begin(), eog.end(), id));
    v->attr[id] = new_attr;
  };
  // o200k_harmony / solar-open: "<|end|>" ends a message, not generation.
  const int32_t end_id = in_eog("<|end|>");
  const bool has_call = in_eog("<|call|>") >= 0 || in_eog("<|calls|>") >= 0;
  if (end_id >= 0 && has_call && (in_eog("<|return|>") >= 0 || in_eog("<|flush|>") >= 0)) {
    drop(end_id, kAttrUserDefined);
  }
  // gemma4 / paddleocr: "</s>" is ordinary text there.
  const int32_t s_id = in_eog("</s>");
  if (s_id >= 0 && in_eog("<|tool_response>") >= 0) drop(s_id, kAttrNormal);
}

void BuildSpecialTokenOrder(const GgufFile& gguf, Vocab* v) {
  for (int32_t id = 0; id < v->n_vocab(); ++id) {
    if (v->attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v->special_tokens.push_back(id);
  }
  std::stable_sort(v->special_tokens.begin(), v->special_tokens.end(),
                   [&](int32_t a, int32_t b) { return v->text[a].size() > v->text[b].size(); });

  // Phi-3 strips whitespace after its special tokens (llama.cpp keys this
  // on the model name).
  std::string name = gguf.GetStringOr("general.name", "");
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : v->special_tokens) v->attr[id] |= kAttrRstrip;
    auto set_rstrip = [&](std::string_view text, bool on) {
      const int32_t id = v->Find(text);
      if (id < 0) return;
      v->attr[id] = on ? (v->attr[id] | kAttrRstrip) : (v->attr[id] & ~uint32_t{kAttrRstrip});
    };
    set_rstrip("</s>", true);
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) set_rstrip(t, false);
  }
}

}  // namespace

base::Status LoadSpecialTokens(const GgufFile& gguf, Vocab* vocab) {
  SetDefaultIds(vocab);
  RETURN_IF_ERROR(ReadIds(gguf, vocab));
  RETURN_IF_ERROR(ReadAddFlags(gguf, vocab));
  DetectIdsByText(vocab);
  BuildEndOfGeneration(vocab);
  BuildSpecialTokenOrder(gguf, vocab);
  return base::Status::Ok();
}

}  // namespace engine::tokenizer_internal
