#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <bitset>

#include "base/log.h"
#include "engine/tokenizer/vocab.h"

namespace engine {

using tokenizer_internal::kAttrControl;
using tokenizer_internal::kAttrLstrip;
using tokenizer_internal::kAttrRstrip;
using tokenizer_internal::kAttrUnknown;
using tokenizer_internal::Vocab;

namespace {

// A run of the input: plain text [begin, end), or one special token.
struct Fragment {
  int32_t token;  // -1 for text
  size_t begin, end;
};

bool IsCSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Which bytes and adjacent byte pairs occur in a text. Vocabularies have
// thousands of special tokens ("[PAD123]", "<|reserved_special_token_7|>");
// this rejects almost all of them without searching the text.
class BytePairFilter {
 public:
  explicit BytePairFilter(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      bytes_.set(static_cast<uint8_t>(text[i]));
      if (i + 1 < text.size()) pairs_.set(Pair(text[i], text[i + 1]));
    }
  }
  bool MayContain(std::string_view s) const {
    if (s.size() == 1) return bytes_.test(static_cast<uint8_t>(s[0]));
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      if (!pairs_.test(Pair(s[i], s[i + 1]))) return false;
    }
    return true;
  }

 private:
  static size_t Pair(char a, char b) { return size_t{static_cast<uint8_t>(a)} << 8 | static_cast<uint8_t>(b); }
  std::bitset<256> bytes_;
  std::bitset<65536> pairs_;
};

// llama.cpp's tokenizer_st_partition: for each special token, longest text
// first, split every text fragment at each of its occurrences. Without
// parse_special only user-defined tokens are split out.
std::vector<Fragment> SplitSpecialTokens(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> fragments = {{-1, 0, text.size()}};
  const BytePairFilter filter(text);
  std::vector<Fragment> next;
  for (int32_t id : vocab.special_tokens) {
    const uint32_t attr = vocab.attr[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string_view special = vocab.text[id];
    if (!filter.MayContain(special)) continue;
    next.clear();
    bool found = false;
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t begin = f.begin;
      while (begin < f.end) {
        const size_t match = text.substr(0, f.end).find(special, begin);
        if (match == std::string_view::npos) break;
        found = true;
        size_t left_end = match;
        if (attr & kAttrLstrip) {
          while (left_end > begin && IsCSpace(text[left_end - 1])) --left_end;
        }
        if (left_end > begin) next.push_back({-1, begin, left_end});
        next.push_back({id, match, match + special.size()});
        begin = match + special.size();
        if (attr & kAttrRstrip) {
          while (begin < f.end && IsCSpace(text[begin])) ++begin;
        }
      }
      if (begin < f.end) next.push_back({-1, begin, f.end});
    }
    if (found) fragments.swap(next);
  }
  return fragments;
}

std::string EscapeSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == ' ') {
      out += "\xE2\x96\x81";  // U+2581
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<const Vocab> vocab) : vocab_(std::move(vocab)) {}
Tokenizer::~Tokenizer() = default;

base::Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& gguf) {
  auto built = tokenizer_internal::BuildVocab(gguf);
  if (!built.ok()) return built.status().WithContext("tokenizer");
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(built).value()));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special, bool parse_special) const {
  // Symbol offsets are 32-bit; no caller has a reason to come near this.
  CHECK(text.size() < kMaxEncodeBytes) << "Tokenizer::Encode: " << text.size() << " bytes is too long";
  const Vocab& v = *vocab_;
  std::vector<int32_t> out;
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments = SplitSpecialTokens(v, text, parse_special);

  switch (v.kind) {
    case TokenizerKind::kSpm: {
      if (add_special && v.add_bos) out.push_back(v.bos);
      // SentencePiece prefixes a space to text at the start and after
      // each special token.
      bool after_special = true;
      for (const Fragment& f : fragments) {
        if (f.token >= 0) {
          out.push_back(f.token);
          after_special = true;
          continue;
        }
        std::string_view run = text.substr(f.begin, f.end - f.begin);
        const std::string escaped =
            EscapeSpaces(v.add_space_prefix && after_special ? " " + std::string(run) : std::string(run));
        tokenizer_internal::EncodeSpm(v, escaped, &out);
        after_special = false;
      }
      if (add_special && v.add_eos) out.push_back(v.eos);
      break;
    }
    case TokenizerKind::kBpe: {
      if (add_special && v.add_bos) out.push_back(v.bos);
      for (const Fragment& f : fragments) {
        if (f.token >= 0) {
          out.push_back(f.token);
        } else {
          tokenizer_internal::EncodeBpe(v, text.substr(f.begin, f.end - f.begin), &out);
        }
      }
      if (add_special && v.add_eos) out.push_back(v.eos);
      break;
    }
    case TokenizerKind::kWpm: {
      if (add_special && v.add_bos) out.push_back(v.bos);  // [CLS]
      for (const Fragment& f : fragments) {
        if (f.token >= 0) {
          out.push_back(f.token);
        } else {
          tokenizer_internal::EncodeWpm(v, text.substr(f.begin, f.end - f.begin), &out);
        }
      }
      if (add_special && v.add_sep) out.push_back(v.sep);  // [SEP]
      break;
    }
  }
  return out;
}

std::string Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  const Vocab& v = *vocab_;
  if (!v.Valid(id)) return {};
  if (!render_special && (v.attr[id] & (kAttrControl | kAttrUnknown))) return {};
  return v.piece[id];
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  const Vocab& v = *vocab_;
  std::string text;
  // The space SentencePiece prefixed is on the first piece with any text
  // (BOS and other control tokens render as nothing).
  bool strip_space = v.add_space_prefix;
  for (int32_t id : ids) {
    const std::string piece = TokenToPiece(id);
    if (piece.empty()) continue;
    text.append(piece, strip_space && piece[0] == ' ' ? 1 : 0);
    strip_space = false;
  }
  return text;
}

int32_t Tokenizer::n_vocab() const { return vocab_->n_vocab(); }
int32_t Tokenizer::bos() const { return vocab_->bos; }
int32_t Tokenizer::eos() const { return vocab_->eos; }

bool Tokenizer::IsEndOfGeneration(int32_t id) const {
  return std::binary_search(vocab_->eog.begin(), vocab_->eog.end(), id);
}

bool Tokenizer::IsControl(int32_t id) const { return vocab_->Valid(id) && (vocab_->attr[id] & kAttrControl); }

std::string_view Tokenizer::TokenText(int32_t id) const {
  return vocab_->Valid(id) ? std::string_view(vocab_->text[id]) : std::string_view();
}

TokenizerKind Tokenizer::kind() const { return vocab_->kind; }
std::string_view Tokenizer::pre() const { return vocab_->pre_name; }
bool Tokenizer::add_bos() const { return vocab_->add_bos; }

}  // namespace engine
