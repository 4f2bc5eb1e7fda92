// The one path resolver every tool uses: a path the model gives, resolved
// inside the repository. Private to tools/.
//
// Refused, with a message naming the path and the reason: empty paths,
// absolute paths outside the repository, `..` that climbs out of it, and
// symlinks (at any component, the last one included) whose target lies
// outside it or does not exist. A path that does not exist yet resolves
// through its deepest existing parent, so write_file can create it.
//
// The check and the later open are separate system calls: a process that
// swaps a directory for a symlink in between could race it. The tools run
// in the agent's own process against a repository only the agent and its
// sandboxed commands write, which is the threat model this guards.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tools {

struct ResolvedPath {
  std::string absolute;  // symlinks resolved, no `.` or `..`; inside the root
  std::string relative;  // from the repository root, "." for the root itself
  bool exists = false;
};

// Errors are kInvalidArgument (or kNotFound for a dangling symlink) with a
// message written for the model.
base::Result<ResolvedPath> ResolvePath(const std::string& repo_root, std::string_view user_path);

// True for the .git directory and everything under it: git's own data,
// which the file tools never write.
bool IsInGitDir(std::string_view relative);

}  // namespace tools
