// The split steps the pre-tokenizers are made of (internal to
// pretokenizer.cc, in a header so they can be tested one by one).
//
// Every step takes the piece lengths left by the previous step and splits
// each piece on its own: nothing a step does looks across a piece boundary.
//
// Two character views exist because llama.cpp matches its regexes in two
// ways. Regexes with \p{..} run on a "collapsed" byte string: ASCII stays as
// is, other whitespace becomes \v, other code points become one byte per
// category, so \p{L} means "ASCII letter or any non-ASCII letter" and \s
// means "ASCII space character or any non-ASCII whitespace". Regexes
// without \p{..} run on the code points themselves, with non-ASCII
// whitespace replaced by \v (so a range such as U+3000-U+3002 never
// matches U+3000).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/tokenizer/unicode.h"

namespace engine::tokenizer_internal {

// Code points of one text with their classes, computed once.
class CodepointText {
 public:
  explicit CodepointText(const std::vector<uint32_t>& cpts);

  size_t size() const { return cp_.size(); }
  uint32_t cp(size_t i) const { return cp_[i]; }
  // llama.cpp's per-code-point flags.
  bool letter(size_t i) const { return cls_[i] == unicode::kLetter; }
  bool number(size_t i) const { return cls_[i] == unicode::kNumber; }
  bool space(size_t i) const { return ws_[i] != 0; }
  // The value the non-\p regexes see: non-ASCII whitespace reads as \v.
  uint32_t wide(size_t i) const { return (cp_[i] > 0x7F && ws_[i]) ? 0x0B : cp_[i]; }
  // Collapsed-text classes (see the file comment).
  bool is_s(size_t i) const;
  bool collapsed_letter(size_t i) const;
  bool collapsed_number(size_t i) const;
  bool collapsed_punct(size_t i) const;
  bool collapsed_symbol(size_t i) const;  // no '~': llama.cpp's ASCII symbol set omits it
  bool collapsed_mark(size_t i) const;

 private:
  const std::vector<uint32_t>& cp_;
  std::vector<uint8_t> cls_;
  std::vector<uint8_t> ws_;
};

using Pieces = std::vector<size_t>;

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void SplitGpt2(const CodepointText& t, const Pieces& in, Pieces* out);
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void SplitLlama3(const CodepointText& t, const Pieces& in, size_t max_digits, Pieces* out);
// \s+$ (on the code point view): the trailing whitespace of each piece.
void SplitTrailingWhitespace(const CodepointText& t, const Pieces& in, Pieces* out);

// A matcher returns the length of the match that starts exactly at `pos`
// (0 for none), looking no further than `end`.
using Matcher = size_t (*)(const CodepointText& t, size_t pos, size_t end);

size_t MatchNewline(const CodepointText& t, size_t pos, size_t end);                   // [\r\n]
size_t MatchSpaceThenLetters(const CodepointText& t, size_t pos, size_t end);          // \s?\p{L}+
size_t MatchSpaceThenPunct(const CodepointText& t, size_t pos, size_t end);            // \s?\p{P}+
size_t MatchSpaceThenDeepseekLetters(const CodepointText& t, size_t pos, size_t end);  // \s?[A-Za-zµÀ-Ö...]+
size_t MatchSpaceThenDeepseekPunct(const CodepointText& t, size_t pos, size_t end);    // \s?[!-/:-~！-／...]+
size_t MatchCjkRun(const CodepointText& t, size_t pos, size_t end);                    // [一-龥ࠀ-一가-퟿]+
size_t MatchNumberRun(const CodepointText& t, size_t pos, size_t end);                 // \p{N}+
size_t MatchOneNumber(const CodepointText& t, size_t pos, size_t end);                 // \p{N}
size_t MatchPunctRun(const CodepointText& t, size_t pos, size_t end);                  // [\p{P}\$\+<=>\^~\|]+
size_t MatchPunctRunWithBacktick(const CodepointText& t, size_t pos, size_t end);      // [\p{P}\$\+<=>\^~\|`]+
size_t MatchThreeAsciiDigits(const CodepointText& t, size_t pos, size_t end);          // [0-9][0-9][0-9]
size_t MatchUpToThreeNumbers(const CodepointText& t, size_t pos, size_t end);         // \p{N}{1,3}
size_t MatchCjkKanaRun(const CodepointText& t, size_t pos, size_t end);               // [一-龥぀-ゟ゠-ヿ]+
// DeepSeek-V3's word regex:
//   [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
//    ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t MatchDeepseekV3Word(const CodepointText& t, size_t pos, size_t end);

// std::regex_iterator semantics: the leftmost match, then the leftmost
// match after it, ...; the text between matches stays a piece.
template <Matcher kMatch>
void SplitMatches(const CodepointText& t, const Pieces& in, Pieces* out) {
  size_t start = 0;
  for (size_t len : in) {
    const size_t end = start + len;
    size_t prev = start;
    size_t pos = start;
    while (pos < end) {
      const size_t n = kMatch(t, pos, end);
      if (n == 0) {
        ++pos;
        continue;
      }
      if (pos > prev) out->push_back(pos - prev);
      out->push_back(n);
      pos += n;
      prev = pos;
    }
    if (end > prev) out->push_back(end - prev);
    start = end;
  }
}

}  // namespace engine::tokenizer_internal
