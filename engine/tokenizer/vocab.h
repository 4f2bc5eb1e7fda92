// The tokenizer's vocabulary and the per-algorithm encoders (internal).
//
// A Vocab is built once by BuildVocab and never changes afterwards, so the
// encoders below take it by const reference and keep all per-call state on
// their own stack or in caller-provided buffers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/flat_index.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace engine::tokenizer_internal {

// Token attributes, as bits (llama.cpp's llama_token_attr).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
};

// A BPE merge of two symbols: its rank (lower merges first) and the symbol
// it produces. Symbol ids are token ids for strings that are tokens and
// n_vocab + k for other strings the merges mention.
using BpeMerge = PairIndex::Value;

struct Vocab {
  TokenizerKind kind = TokenizerKind::kSpm;
  std::string pre_name;  // tokenizer.ggml.pre as given
  PreTokenizer pre = PreTokenizer::kDefault;

  std::vector<std::string> text;  // id -> token text
  std::vector<float> score;       // id -> SPM score
  std::vector<uint32_t> attr;     // id -> TokenAttr bits
  std::vector<std::string> piece;  // id -> decoded bytes (special tokens as their text)
  StringIndex ids;  // text -> id; views into `text`
  size_t max_token_len = 0;  // bytes

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1, mask = -1;
  int32_t fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;
  std::vector<int32_t> eog;  // sorted
  // Control, user-defined and unknown tokens, longest text first: the
  // order in which Encode splits them out of the input.
  std::vector<int32_t> special_tokens;

  bool add_space_prefix = false;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;
  bool ignore_merges = false;  // BPE: a pre-token that is a whole token skips merging
  bool lowercase = true;       // WPM normalizer
  bool strip_accents = true;   // WPM normalizer

  // SPM byte fallback: the token for each raw byte (<0xAB>, else the byte
  // itself as a one-byte token), -1 if the vocab has neither.
  std::array<int32_t, 256> byte_token{};
  // BPE: the symbol of each byte's GPT-2 character (-1 when unknown), and
  // the token whose text is exactly that single (encoded) byte.
  std::array<int32_t, 256> byte_symbol{};
  std::array<int32_t, 256> single_byte_token{};
  PairIndex merges;  // (left symbol, right symbol) -> merge

  int32_t n_vocab() const { return static_cast<int32_t>(text.size()); }
  bool Valid(int32_t id) const { return id >= 0 && id < n_vocab(); }
  int32_t Find(std::string_view s) const { return ids.Find(s); }
  const BpeMerge* FindMerge(int32_t left, int32_t right) const { return merges.Find(left, right); }
};

// Reads tokenizer.ggml.* from `gguf`.
base::Result<std::unique_ptr<Vocab>> BuildVocab(const GgufFile& gguf);
// Loads tokenizer.ggml.merges into vocab->merges (BPE only).
base::Status LoadBpeMerges(const GgufFile& gguf, Vocab* vocab);
// Special ids, add_* flags, EOG set, attribute fix-ups, special-token order.
base::Status LoadSpecialTokens(const GgufFile& gguf, Vocab* vocab);
// Fills vocab->piece for every token.
void BuildPieces(Vocab* vocab);

// The GPT-2 byte <-> printable character table (bytes_to_unicode).
uint32_t ByteToGpt2Char(uint8_t byte);
int ByteFromGpt2Char(uint32_t cp);  // -1 when cp is not in the table

// Encoders for one run of plain text (special tokens already split out).
// They append to `out`.
void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out);
void EncodeBpe(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out);
void EncodeWpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out);

}  // namespace engine::tokenizer_internal
