// How many tokens a piece of code map text costs the model, estimated
// without a tokenizer (the tools know no model). Private to tools/.
//
// It leans high on purpose: a budget in tokens must hold for the model's
// real tokenizer, and code is denser in tokens than prose (bytes/4 is too
// optimistic for `foo(a, b);`). Each punctuation byte (`_` too) counts as
// a token, a run of letters one per sub-word (split at case changes; one
// more per 8 further letters), digits one per 3, other non-ASCII bytes one
// per 2, each newline one, a run of spaces one per 8, and a single space
// before a word nothing (BPE merges it).
//
// The estimate is additive over lines: for `a` ending in '\n',
// EstimateTokens(a + b) == EstimateTokens(a) + EstimateTokens(b), so a
// text can be budgeted line by line.
#pragma once

#include <cstddef>
#include <string_view>

namespace tools {

size_t EstimateTokens(std::string_view text);

}  // namespace tools
