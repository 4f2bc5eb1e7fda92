// Walks a directory tree inside the repository for list_dir, glob and
// grep: sorted, pruning what IgnoreRules hides, never following symlinked
// directories (no cycles, no escapes). Private to tools/.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tools/ignore_rules.h"

namespace tools {

struct DirEntry {
  std::string name;
  std::string relative;  // from the repository root
  bool is_dir = false;
  bool is_symlink = false;
  bool ignored = false;  // hidden by IgnoreRules
};

// The entries of one directory (`relative` from the root of `repo_root`),
// sorted by name, ignored ones included but marked.
base::Result<std::vector<DirEntry>> ReadDirEntries(const std::string& repo_root, std::string_view relative,
                                                   const IgnoreRules& rules);

// Every file (not directory) below `relative`, depth first in sorted order,
// ignored entries skipped. `visit` returns false to stop the walk.
base::Status WalkFiles(const std::string& repo_root, std::string_view relative, const IgnoreRules& rules,
                       const std::function<bool(const DirEntry&)>& visit);

}  // namespace tools
