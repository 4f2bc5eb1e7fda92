// The code map's index, for callers outside tools/ (the benchmark in
// `longhaul bench tools`). The agent reaches the code map through the
// code_map, find_symbol and outline_file tools (BuiltinTools), which share
// one index; this header only lets a caller hold an index of its own and
// time a cold map against a warm re-map.
//
// Threading: a CodeIndex may be used from several threads at once (one
// refresh runs at a time).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"

namespace tools {

class CodeIndex;

// A fresh, empty index.
std::shared_ptr<CodeIndex> NewCodeIndex();

struct CodeMapStats {
  size_t files = 0;        // source files indexed
  size_t definitions = 0;
  size_t references = 0;
  size_t parsed = 0;       // parsed by this call: every file on a new index, the changed ones after
  size_t reused = 0;       // taken from the index unchanged
  size_t dropped = 0;      // indexed before, gone now
  size_t skipped = 0;      // binary, over the size limit, or unparseable
  size_t map_bytes = 0;    // the rendered map
  size_t map_tokens = 0;   // its estimated tokens, at most max_tokens
};

// Brings `index` up to date with the repository at `repo_root` (absolute)
// and renders the map as code_map does with no arguments, in `max_tokens`.
// A cold map is this on a new index; a warm one, this again after a file
// changed. Errors when the root cannot be read or max_tokens is too small
// for any map.
base::Result<CodeMapStats> BuildCodeMap(const std::string& repo_root, size_t max_tokens, CodeIndex& index);

}  // namespace tools
