#include "engine/tokenizer/pretokenizer_matchers.h"

#include <algorithm>
#include <iterator>

namespace engine::tokenizer_internal {
namespace {

struct Range {
  uint32_t first, last;
};

// DeepSeek-LLM's letter class (the cased letters of some Unicode version),
// exactly as its tokenizer.json spells it.
constexpr Range kDeepseekLetters[] = {
    {0x41, 0x5a}, {0x61, 0x7a}, {0xb5, 0xb5}, {0xc0, 0xd6}, {0xd8, 0xf6}, {0xf8, 0x1ba}, {0x1bc, 0x1bf}, {0x1c4, 0x293},
    {0x295, 0x2af}, {0x370, 0x373}, {0x376, 0x377}, {0x37b, 0x37d}, {0x37f, 0x37f}, {0x386, 0x386}, {0x388, 0x38a},
    {0x38c, 0x38c}, {0x38e, 0x3a1}, {0x3a3, 0x3f5}, {0x3f7, 0x481}, {0x48a, 0x52f}, {0x531, 0x556}, {0x10a0, 0x10c5},
    {0x13a0, 0x13f5}, {0x13f8, 0x13fd}, {0x1c90, 0x1cba}, {0x1cbd, 0x1cbf}, {0x1d00, 0x1d2b}, {0x1d6b, 0x1d77},
    {0x1d79, 0x1d9a}, {0x1e00, 0x1f15}, {0x1f18, 0x1f1d}, {0x1f20, 0x1f45}, {0x1f48, 0x1f4d}, {0x1f50, 0x1f57},
    {0x1f59, 0x1f59}, {0x1f5b, 0x1f5b}, {0x1f5d, 0x1f5d}, {0x1f5f, 0x1f7d}, {0x1f80, 0x1fb4}, {0x1fb6, 0x1fbc},
    {0x1fbe, 0x1fbe}, {0x1fc2, 0x1fc4}, {0x1fc6, 0x1fcc}, {0x1fd0, 0x1fd3}, {0x1fd6, 0x1fdb}, {0x1fe0, 0x1fec},
    {0x1ff2, 0x1ff4}, {0x1ff6, 0x1ffc}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210a, 0x2113}, {0x2115, 0x2115},
    {0x2119, 0x211d}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212a, 0x212d}, {0x212f, 0x2134},
    {0x2139, 0x2139}, {0x213c, 0x213f}, {0x2145, 0x2149}, {0x214e, 0x214e}, {0x2183, 0x2184}, {0x2c00, 0x2c7b},
    {0x2c7e, 0x2ce4}, {0x2ceb, 0x2cee}, {0x2cf2, 0x2cf3}, {0xa640, 0xa66d}, {0xa680, 0xa69b}, {0xa722, 0xa76f},
    {0xa771, 0xa787}, {0xa78b, 0xa78e}, {0xab70, 0xabbf}, {0xfb00, 0xfb06}, {0xfb13, 0xfb17}, {0xff21, 0xff3a},
    {0xff41, 0xff5a}, {0x10400, 0x1044f}, {0x104b0, 0x104d3}, {0x104d8, 0x104fb}, {0x10c80, 0x10cb2},
    {0x10cc0, 0x10cf2}, {0x118a0, 0x118df}, {0x1e900, 0x1e943},
};

bool InRanges(uint32_t v, const Range* begin, const Range* end) {
  const Range* it = std::upper_bound(begin, end, v, [](uint32_t x, const Range& r) { return x < r.first; });
  return it != begin && v <= (it - 1)->last;
}

bool IsDeepseekLetter(uint32_t v) {
  return InRanges(v, std::begin(kDeepseekLetters), std::end(kDeepseekLetters));
}

// [!-/:-~！-／：-～‘-‟　-。]
bool IsDeepseekPunct(uint32_t v) {
  return (v >= 0x21 && v <= 0x2F) || (v >= 0x3A && v <= 0x7E) || (v >= 0xFF01 && v <= 0xFF0F) ||
         (v >= 0xFF1A && v <= 0xFF5E) || (v >= 0x2018 && v <= 0x201F) || (v >= 0x3000 && v <= 0x3002);
}

// [一-龥ࠀ-一가-퟿]: U+4E00-U+9FA5, U+0800-U+4E00, U+AC00-U+D7FF.
bool IsCjkBlock(uint32_t v) { return (v >= 0x0800 && v <= 0x9FA5) || (v >= 0xAC00 && v <= 0xD7FF); }

bool IsAsciiPunct(uint32_t c) {  // ASCII characters of Unicode category P
  switch (c) {
    case '!': case '"': case '#': case '%': case '&': case '\'': case '(': case ')': case '*':
    case ',': case '-': case '.': case '/': case ':': case ';': case '?': case '@': case '[':
    case '\\': case ']': case '_': case '{': case '}':
      return true;
    default:
      return false;
  }
}

// Length of the run of code points from `pos` for which pred(i) holds.
template <typename Pred>
size_t RunLength(size_t pos, size_t end, Pred pred) {
  size_t i = pos;
  while (i < end && pred(i)) ++i;
  return i - pos;
}

// \s?X+ with backtracking: an optional leading whitespace character only
// counts when X follows it; X never contains whitespace.
template <typename Pred>
size_t MatchOptionalSpaceThenRun(const CodepointText& t, size_t pos, size_t end, Pred in_class) {
  if (t.is_s(pos)) {
    if (pos + 1 < end && in_class(pos + 1)) return 1 + RunLength(pos + 1, end, in_class);
    return 0;
  }
  return RunLength(pos, end, in_class);
}

bool IsNewline(uint32_t c) { return c == '\r' || c == '\n'; }

// Emits tokens of one piece; `prev` is where the next token starts.
class PieceWriter {
 public:
  PieceWriter(size_t start, Pieces* out) : prev_(start), out_(out) {}
  // Ends a token at `end`; returns its length.
  size_t EndAt(size_t end) {
    const size_t len = end - prev_;
    if (len > 0) out_->push_back(len);
    prev_ = end;
    return len;
  }

 private:
  size_t prev_;
  Pieces* out_;
};

// 's|'t|'re|'ve|'m|'ll|'d at pos; the length, or 0. Case-insensitive
// for Llama-3 (llama.cpp lowercases with its Unicode table).
size_t MatchContraction(const CodepointText& t, size_t pos, size_t end, bool ignore_case) {
  if (t.cp(pos) != '\'' || pos + 1 >= end) return 0;
  auto fold = [&](size_t i) { return ignore_case ? unicode::ToLower(t.cp(i)) : t.cp(i); };
  const uint32_t c1 = fold(pos + 1);
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  if (pos + 2 >= end) return 0;
  const uint32_t c2 = fold(pos + 2);
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

}  // namespace

CodepointText::CodepointText(const std::vector<uint32_t>& cpts) : cp_(cpts) {
  cls_.resize(cpts.size());
  ws_.resize(cpts.size());
  for (size_t i = 0; i < cpts.size(); ++i) {
    cls_[i] = unicode::ClassOf(cpts[i]);
    ws_[i] = unicode::IsWhitespace(cpts[i]) ? 1 : 0;
  }
}

bool CodepointText::is_s(size_t i) const {
  const uint32_t c = cp_[i];
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return ws_[i] != 0;
}

bool CodepointText::collapsed_letter(size_t i) const {
  const uint32_t c = cp_[i];
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  return !ws_[i] && cls_[i] == unicode::kLetter;
}

bool CodepointText::collapsed_number(size_t i) const {
  const uint32_t c = cp_[i];
  if (c < 0x80) return c >= '0' && c <= '9';
  return !ws_[i] && cls_[i] == unicode::kNumber;
}

bool CodepointText::collapsed_punct(size_t i) const {
  const uint32_t c = cp_[i];
  if (c < 0x80) return IsAsciiPunct(c);
  return !ws_[i] && cls_[i] == unicode::kPunctuation;
}

bool CodepointText::collapsed_symbol(size_t i) const {
  const uint32_t c = cp_[i];
  if (c < 0x80) {
    return c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' || c == '`' || c == '|';
  }
  return !ws_[i] && cls_[i] == unicode::kSymbol;
}

bool CodepointText::collapsed_mark(size_t i) const { return cp_[i] >= 0x80 && !ws_[i] && cls_[i] == unicode::kMark; }

void SplitGpt2(const CodepointText& t, const Pieces& in, Pieces* out) {
  size_t start = 0;
  for (size_t len : in) {
    const size_t end = start + len;
    auto letter = [&](size_t i) { return i < end && t.letter(i); };
    auto number = [&](size_t i) { return i < end && t.number(i); };
    auto space = [&](size_t i) { return i < end && t.space(i); };
    auto other = [&](size_t i) { return i < end && !t.space(i) && !t.letter(i) && !t.number(i); };
    PieceWriter w(start, out);
    size_t pos = start;
    while (pos < end) {
      if (size_t n = MatchContraction(t, pos, end, /*ignore_case=*/false)) {
        pos += w.EndAt(pos + n);
        continue;
      }
      // " ?X+" for X in letters, numbers, other: the optional space only
      // joins when an X follows it.
      const size_t x = t.cp(pos) == ' ' ? pos + 1 : pos;
      if (letter(x) || number(x) || other(x)) {
        const bool is_letter = letter(x), is_number = number(x);
        size_t i = x;
        while (is_letter ? letter(i) : is_number ? number(i) : other(i)) ++i;
        pos = i;
        w.EndAt(pos);
        continue;
      }
      size_t n_space = 0;
      while (space(pos + n_space)) ++n_space;
      if (n_space > 1 && pos + n_space < end) {  // \s+(?!\S): leave one for the next word
        pos += n_space - 1;
        w.EndAt(pos);
        continue;
      }
      if (n_space > 0) {  // \s+
        pos += n_space;
        w.EndAt(pos);
        continue;
      }
      w.EndAt(++pos);  // unreachable in practice: every code point is in some class
    }
    start = end;
  }
}

void SplitLlama3(const CodepointText& t, const Pieces& in, size_t max_digits, Pieces* out) {
  size_t start = 0;
  for (size_t len : in) {
    const size_t end = start + len;
    auto letter = [&](size_t i) { return i < end && t.letter(i); };
    auto number = [&](size_t i) { return i < end && t.number(i); };
    auto space = [&](size_t i) { return i < end && t.space(i); };
    auto other = [&](size_t i) { return i < end && !t.space(i) && !t.letter(i) && !t.number(i); };
    PieceWriter w(start, out);
    size_t pos = start;
    while (pos < end) {
      const uint32_t c = t.cp(pos);
      if (size_t n = MatchContraction(t, pos, end, /*ignore_case=*/true)) {
        pos += w.EndAt(pos + n);
        continue;
      }
      // [^\r\n\p{L}\p{N}]?\p{L}+
      if (!IsNewline(c) && !number(pos) && (letter(pos) || letter(pos + 1))) {
        ++pos;
        while (letter(pos)) ++pos;
        w.EndAt(pos);
        continue;
      }
      // \p{N}{1,max_digits}
      if (number(pos)) {
        size_t group_start = pos;
        while (number(pos)) {
          if (++pos - group_start >= max_digits) {
            w.EndAt(pos);
            group_start = pos;
          }
        }
        w.EndAt(pos);
        continue;
      }
      //  ?[^\s\p{L}\p{N}]+[\r\n]*  (a lone trailing space also ends up here)
      const size_t x = c == ' ' ? pos + 1 : pos;
      if (other(x) || x >= end) {
        pos = x;
        while (other(pos)) ++pos;
        while (pos < end && IsNewline(t.cp(pos))) ++pos;
        w.EndAt(pos);
        continue;
      }
      size_t n_space = 0;
      size_t after_last_newline = 0;
      while (space(pos + n_space)) {
        if (IsNewline(t.cp(pos + n_space))) after_last_newline = pos + n_space + 1;
        ++n_space;
      }
      if (after_last_newline > 0) {  // \s*[\r\n]+
        pos = after_last_newline;
        w.EndAt(pos);
        continue;
      }
      if (n_space > 1 && pos + n_space < end) {  // \s+(?!\S)
        pos += n_space - 1;
        w.EndAt(pos);
        continue;
      }
      if (n_space > 0) {  // \s+
        pos += n_space;
        w.EndAt(pos);
        continue;
      }
      w.EndAt(++pos);
    }
    start = end;
  }
}

void SplitTrailingWhitespace(const CodepointText& t, const Pieces& in, Pieces* out) {
  size_t start = 0;
  for (size_t len : in) {
    const size_t end = start + len;
    size_t tail = end;
    while (tail > start && t.is_s(tail - 1)) --tail;
    if (tail > start) out->push_back(tail - start);
    if (end > tail) out->push_back(end - tail);
    start = end;
  }
}

size_t MatchNewline(const CodepointText& t, size_t pos, size_t /*end*/) { return IsNewline(t.cp(pos)) ? 1 : 0; }

size_t MatchSpaceThenLetters(const CodepointText& t, size_t pos, size_t end) {
  return MatchOptionalSpaceThenRun(t, pos, end, [&](size_t i) { return t.collapsed_letter(i); });
}

size_t MatchSpaceThenPunct(const CodepointText& t, size_t pos, size_t end) {
  return MatchOptionalSpaceThenRun(t, pos, end, [&](size_t i) { return t.collapsed_punct(i); });
}

size_t MatchSpaceThenDeepseekLetters(const CodepointText& t, size_t pos, size_t end) {
  return MatchOptionalSpaceThenRun(t, pos, end, [&](size_t i) { return IsDeepseekLetter(t.wide(i)); });
}

size_t MatchSpaceThenDeepseekPunct(const CodepointText& t, size_t pos, size_t end) {
  return MatchOptionalSpaceThenRun(t, pos, end, [&](size_t i) { return IsDeepseekPunct(t.wide(i)); });
}

size_t MatchCjkRun(const CodepointText& t, size_t pos, size_t end) {
  return RunLength(pos, end, [&](size_t i) { return IsCjkBlock(t.wide(i)); });
}

size_t MatchNumberRun(const CodepointText& t, size_t pos, size_t end) {
  return RunLength(pos, end, [&](size_t i) { return t.collapsed_number(i); });
}

size_t MatchOneNumber(const CodepointText& t, size_t pos, size_t /*end*/) {
  return t.collapsed_number(pos) ? 1 : 0;
}

size_t MatchPunctRun(const CodepointText& t, size_t pos, size_t end) {
  return RunLength(pos, end, [&](size_t i) {
    const uint32_t c = t.cp(i);
    return t.collapsed_punct(i) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
           c == '~' || c == '|';
  });
}

size_t MatchPunctRunWithBacktick(const CodepointText& t, size_t pos, size_t end) {
  return RunLength(pos, end, [&](size_t i) {
    const uint32_t c = t.cp(i);
    return t.collapsed_punct(i) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
           c == '~' || c == '|' || c == '`';
  });
}

size_t MatchThreeAsciiDigits(const CodepointText& t, size_t pos, size_t end) {
  if (pos + 3 > end) return 0;
  for (size_t i = pos; i < pos + 3; ++i) {
    if (t.cp(i) < '0' || t.cp(i) > '9') return 0;
  }
  return 3;
}

}  // namespace engine::tokenizer_internal

namespace engine::tokenizer_internal {

size_t MatchUpToThreeNumbers(const CodepointText& t, size_t pos, size_t end) {
  return RunLength(pos, std::min(end, pos + 3), [&](size_t i) { return t.collapsed_number(i); });
}

size_t MatchCjkKanaRun(const CodepointText& t, size_t pos, size_t end) {
  return RunLength(pos, end, [&](size_t i) {
    const uint32_t v = t.wide(i);
    return (v >= 0x4E00 && v <= 0x9FA5) || (v >= 0x3040 && v <= 0x309F) || (v >= 0x30A0 && v <= 0x30FF);
  });
}

size_t MatchDeepseekV3Word(const CodepointText& t, size_t pos, size_t end) {
  const uint32_t c = t.cp(pos);
  auto ascii_letter = [&](size_t i) {
    const uint32_t x = t.cp(i);
    return (x >= 'A' && x <= 'Z') || (x >= 'a' && x <= 'z');
  };
  auto letter_or_mark = [&](size_t i) { return t.collapsed_letter(i) || t.collapsed_mark(i); };
  auto punct_or_symbol = [&](size_t i) { return t.collapsed_punct(i) || t.collapsed_symbol(i); };
  // [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+
  const bool ascii_mark = (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                          (c >= 0x7B && c <= 0x7E);
  if (ascii_mark && pos + 1 < end && ascii_letter(pos + 1)) return 1 + RunLength(pos + 1, end, ascii_letter);
  // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ (the optional class includes marks)
  const bool lead = !IsNewline(c) && !t.collapsed_letter(pos) && !punct_or_symbol(pos);
  if (lead && pos + 1 < end && letter_or_mark(pos + 1)) return 1 + RunLength(pos + 1, end, letter_or_mark);
  if (letter_or_mark(pos)) return RunLength(pos, end, letter_or_mark);
  //  ?[\p{P}\p{S}]+[\r\n]*
  const size_t x = c == ' ' && pos + 1 < end && punct_or_symbol(pos + 1) ? pos + 1 : pos;
  if (punct_or_symbol(x)) {
    size_t i = x + RunLength(x, end, punct_or_symbol);
    while (i < end && IsNewline(t.cp(i))) ++i;
    return i - pos;
  }
  // \s*[\r\n]+ | \s+(?!\S) | \s+
  const size_t n_space = RunLength(pos, end, [&](size_t i) { return t.is_s(i); });
  if (n_space == 0) return 0;
  for (size_t k = n_space; k > 0; --k) {
    if (IsNewline(t.cp(pos + k - 1))) return k;
  }
  if (pos + n_space == end) return n_space;
  return n_space > 1 ? n_space - 1 : n_space;
}

}  // namespace engine::tokenizer_internal
