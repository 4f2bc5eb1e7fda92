// The read-only git tools (issue 8): git_status, git_diff, git_log and
// git_show, built on git_repo.h. Private to tools/; BuiltinTools() lists
// them.
//
// Each works on the git work tree that holds the agent's root. When the
// root is a subdirectory, status and diff cover only that subdirectory;
// paths in diffs and logs stay relative to the work tree's top, as git
// prints them. Outside a git repository every tool answers with an error
// saying so.
#pragma once

#include <memory>

#include "tools/tool.h"

namespace tools {

std::unique_ptr<Tool> NewGitStatusTool();
std::unique_ptr<Tool> NewGitDiffTool();
std::unique_ptr<Tool> NewGitLogTool();
std::unique_ptr<Tool> NewGitShowTool();

}  // namespace tools
