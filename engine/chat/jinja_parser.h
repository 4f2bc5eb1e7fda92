// Parser for the Jinja subset, matching @huggingface/jinja's grammar and
// operator precedence (lowest first): `x if c else y`, or, and, not,
// comparisons and `in`, + - ~, * / // %, **, `is` tests, `|` filters,
// unary sign, calls and member access.
//
// Threading: pure function, safe from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_lexer.h"

namespace engine::jinja {

// Nesting deeper than this (expressions or blocks) is rejected, which keeps
// parsing and evaluation off the end of the stack.
inline constexpr int kMaxParseDepth = 200;

// `source` is only used to turn offsets into line:column for errors.
base::Result<Program> Parse(std::string_view source, const std::vector<Token>& tokens);

}  // namespace engine::jinja
