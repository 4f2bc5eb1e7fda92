// Tokenizer for the Jinja subset, matching @huggingface/jinja's lexer.
//
// Before tokenizing, the source is preprocessed the way the reference does
// it (it is what transformers' trim_blocks=True, lstrip_blocks=True means
// there): one trailing newline is dropped, spaces and tabs before a
// `{%`/`{#` that starts a line are removed, the newline after `%}`/`#}`/`-}`
// is removed, and transformers' `{% generation %}` tags are erased. Every
// token remembers its byte offset in the original source for errors.
//
// Threading: pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace engine::jinja {

enum class TokenType : uint8_t {
  kText,
  kNumber,        // "12", "1.5", and "-3" when the sign is unary
  kString,        // unescaped contents
  kIdentifier,    // names and keywords alike
  kEquals,        // =
  kOpenParen,
  kCloseParen,
  kOpenStatement,   // {%
  kCloseStatement,  // %}
  kOpenExpression,  // {{
  kCloseExpression, // }}
  kOpenSquare,
  kCloseSquare,
  kOpenCurly,
  kCloseCurly,
  kComma,
  kDot,
  kColon,
  kPipe,
  kAdditive,        // + - ~
  kMultiplicative,  // * / // %
  kExponent,        // **
  kComparison,      // < > <= >= == !=
  kUnary,           // a lone unary + or -
  kComment,
};

struct Token {
  TokenType type;
  std::string value;
  uint32_t offset;  // byte offset in the original source
};

// "line:column", both 1-based; the column counts code points.
std::string SourcePosition(std::string_view source, uint32_t offset);

// Fails with InvalidArgument("syntax error at L:C: ...").
base::Result<std::vector<Token>> Tokenize(std::string_view source);

}  // namespace engine::jinja
