// Renders the ranked code map within a token and byte budget. Private to
// tools/.
//
// Definitions are picked greedily by score (the rank that reaches them
// along references, plus a small share of their file's rank so that
// unreferenced definitions of important files come before those of minor
// ones), each with its enclosing definitions for context, as long as they
// fit. Files then print in rank order, each with its picked definitions in
// source order as "  line: signature", nested ones indented:
//
//   src/server.h:
//     12: class Server {
//     20:   void Start(int port);
//
// Namespaces and modules are left out (the paths say as much). A last
// line says how much was left out, when anything was. Each piece of
// text is budgeted by its estimated tokens (token_estimate.h) and bytes,
// so the whole never exceeds either limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tools/code/code_index.h"
#include "tools/code/page_rank.h"
#include "tools/code/path_filter.h"

namespace tools {

struct MapBudget {
  size_t max_tokens = 2048;
  size_t max_bytes = 16 * 1024;
};

struct RenderedMap {
  std::string text;  // empty when the budget cannot hold even one file
  size_t tokens = 0;
  size_t files_total = 0;  // that pass the filter
  size_t definitions_total = 0;
  size_t files_shown = 0;
  size_t definitions_shown = 0;
  std::vector<std::string> files;  // those shown, in rank order
};

// `paths` may be empty (every file). `ranking` must come from the
// snapshot's graph. `note`, when not empty, is a line (ending in '\n')
// printed under the header, within the budget.
RenderedMap RenderCodeMap(const CodeSnapshot& snapshot, const Ranking& ranking, const PathFilter& paths,
                          const MapBudget& budget, std::string_view note);

// Files by rank, highest first; ties by path. Only those `keep` accepts.
std::vector<uint32_t> FilesByRank(const Ranking& ranking, const std::vector<bool>& keep);

}  // namespace tools
