// Diffs as text for the model: the patch git would print and a one-line
// summary. Private to tools/git.
#pragma once

#include <string>

#include "base/status.h"
#include "tools/git/git_repo.h"

namespace tools::git {

// The unified diff ("diff --git a/x b/x", hunks, "Binary files ... differ").
base::Result<std::string> PatchText(git_diff* diff);

// "2 files changed, 3 insertions(+), 1 deletion(-)".
base::Result<std::string> DiffSummary(git_diff* diff);

// Diff options shared by the tools: `pathspec` ("" for everything) matched
// as git does, and untracked files with their contents when asked.
struct DiffScope {
  std::string pathspec;
  bool include_untracked = false;
};
// Fills `opts` (pathspec points into `scope`, which must outlive it).
base::Status InitDiffOptions(DiffScope& scope, char** pathspec_slot, git_diff_options* opts);

}  // namespace tools::git
