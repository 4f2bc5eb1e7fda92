#include "tools/code/token_estimate.h"

namespace tools {
namespace {

bool IsLower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsLetter(unsigned char c) { return IsLower(c) || IsUpper(c); }

// Letters from `i`, split into sub-words: "parseHTTPRequest" -> parse,
// HTTP, Request; each sub-word costs 1 + (length - 1) / 8.
size_t Word(std::string_view text, size_t* i) {
  size_t tokens = 0;
  size_t piece = 0;
  size_t p = *i;
  for (; p < text.size() && IsLetter(static_cast<unsigned char>(text[p])); ++p) {
    const auto c = static_cast<unsigned char>(text[p]);
    const bool starts_piece =
        piece > 0 && IsUpper(c) &&
        (IsLower(static_cast<unsigned char>(text[p - 1])) ||
         (p + 1 < text.size() && IsLower(static_cast<unsigned char>(text[p + 1])) && piece > 1));
    if (starts_piece) {
      tokens += 1 + (piece - 1) / 8;
      piece = 0;
    }
    ++piece;
  }
  if (piece > 0) tokens += 1 + (piece - 1) / 8;
  *i = p;
  return tokens;
}

}  // namespace

size_t EstimateTokens(std::string_view text) {
  size_t tokens = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (IsLetter(c)) {
      tokens += Word(text, &i);
    } else if (IsDigit(c)) {
      size_t n = 0;
      for (; i < text.size() && IsDigit(static_cast<unsigned char>(text[i])); ++i) ++n;
      tokens += (n + 2) / 3;
    } else if (c == ' ' || c == '\t') {
      size_t n = 0;
      for (; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) ++n;
      const bool before_word = n == 1 && i < text.size() && text[i] != '\n';
      if (!before_word) tokens += 1 + (n - 1) / 8;
    } else if (c >= 0x80) {
      size_t n = 0;
      for (; i < text.size() && static_cast<unsigned char>(text[i]) >= 0x80; ++i) ++n;
      tokens += (n + 1) / 2;
    } else {
      ++tokens;  // '\n', '_' and punctuation
      ++i;
    }
  }
  return tokens;
}

}  // namespace tools
