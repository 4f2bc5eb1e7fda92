// Which repository entries the search tools skip: .gitignore (and
// .git/info/exclude, core.excludesFile) through libgit2, so the answer is
// git's own. The only file that includes libgit2. Private to tools/.
//
// Like git, a file that is tracked stays visible even when a pattern
// matches it, and so does a directory holding tracked files.
//
// When the root is not inside a git work tree there are no ignore rules
// (the tools do not imitate git's matcher); `.git` entries are hidden in
// every case.
//
// Threading: one IgnoreRules per call; libgit2 repositories are not safe
// to share across threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tools {

class IgnoreRules {
 public:
  // Never fails: a root git cannot open gets the no-rules fallback.
  explicit IgnoreRules(const std::string& repo_root);
  ~IgnoreRules();
  IgnoreRules(const IgnoreRules&) = delete;
  IgnoreRules& operator=(const IgnoreRules&) = delete;

  // `relative` is from the repository root (no leading "./").
  bool IsIgnored(std::string_view relative, bool is_dir) const;
  // True when git's rules are in force (the root is in a git work tree).
  bool uses_git() const { return repo_ != nullptr; }

 private:
  struct Repo;
  std::unique_ptr<Repo> repo_;
};

}  // namespace tools
