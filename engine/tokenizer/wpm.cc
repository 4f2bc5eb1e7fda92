// BERT WordPiece (tokenizer.ggml.model = "bert"), as llama.cpp's
// llm_tokenizer_wpm_session: normalize and split into words, then cover
// each word greedily with the longest vocabulary entries. Word-initial
// entries carry a U+2581 prefix in GGUF vocabularies; continuation entries
// ("##x" in BERT) are stored bare.
#include <algorithm>
#include <string>

#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocab.h"

namespace engine::tokenizer_internal {
namespace {

constexpr std::string_view kWordPrefix = "\xE2\x96\x81";  // U+2581

// The CJK ideograph blocks BERT splits into single-character words (the
// range 0x2B920 rather than 0x2B820 follows the Hugging Face code).
bool IsChineseChar(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Lowercases, strips accents, drops control characters, splits on
// whitespace, and makes each punctuation mark, ASCII symbol and CJK
// ideograph a word of its own.
std::vector<std::string> SplitWords(const Vocab& vocab, std::string_view text) {
  std::vector<uint32_t> cpts;
  unicode::DecodeUtf8(text, &cpts);
  std::vector<std::string> words(1);
  for (uint32_t cp : cpts) {
    if (vocab.strip_accents) cp = unicode::NfdFirst(cp);
    if (unicode::IsWhitespace(cp)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const uint8_t cls = unicode::ClassOf(cp);
    if (cp == 0 || cp == unicode::kReplacementChar || cls == unicode::kControl) continue;
    if (vocab.strip_accents && cls == unicode::kMark) continue;
    const uint32_t out = vocab.lowercase ? unicode::ToLower(cp) : cp;
    if (cls == unicode::kPunctuation || (cp < 0x7F && cls == unicode::kSymbol) || IsChineseChar(cp)) {
      if (!words.back().empty()) words.emplace_back();
      unicode::AppendUtf8(out, &words.back());
      words.emplace_back();
    } else {
      unicode::AppendUtf8(out, &words.back());
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

}  // namespace

void EncodeWpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) {
  std::string word;
  for (const std::string& bare : SplitWords(vocab, text)) {
    word.assign(kWordPrefix);
    word += bare;
    const size_t n = word.size();
    const size_t first_token = out->size();
    for (size_t i = 0; i < n;) {
      // Longest entry starting at byte i (llama.cpp also tries lengths
      // that end inside a character; those never match).
      size_t j = std::min(n, i + vocab.max_token_len + 1);
      int32_t id = -1;
      for (; j > i; --j) {
        id = vocab.Find(std::string_view(word).substr(i, j - i));
        if (id >= 0) break;
      }
      if (id < 0) {  // the word cannot be covered: drop what we had
        out->resize(first_token);
        break;
      }
      out->push_back(id);
      i = j;
    }
    if (out->size() == first_token && vocab.unk >= 0) out->push_back(vocab.unk);
  }
}

}  // namespace engine::tokenizer_internal
