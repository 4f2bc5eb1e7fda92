// The tree-sitter query of each language: which nodes are definitions and
// which are references. Private to tools/.
//
// Capture names carry the meaning: `@definition.<kind>` marks a definition
// node (its whole extent: the outline's line range and the signature's
// start) with the SymbolKind of that name, `@name` its name; a
// `@reference.<call|member_call|type|implementation>` capture is the
// referenced name itself. When a node matches several definition patterns, the one listed
// first wins (that is how Go's struct and interface types beat the plain
// type pattern). libtree-sitter 0.20 evaluates no predicates (#eq?,
// #match?, ...), so the queries use none.
#pragma once

#include <string>

#include "tools/code/language.h"

namespace tools {

std::string QuerySource(Language language);

}  // namespace tools
