// The `paths` and `focus` arguments of the code map tools: a list of
// repository paths, each a prefix ("src", "src/", "tools/grep.cc") or a
// glob ("src/**/*.cc"; one without '/' such as "*.py" matches file names
// at any depth). Private to tools/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tools/glob_pattern.h"

namespace tools {

class PathFilter {
 public:
  // kInvalidArgument, naming `argument` and the entry, for an absolute
  // path, `..`, an empty entry or a malformed glob.
  static base::Result<PathFilter> Parse(const std::vector<std::string>& entries, std::string_view argument);

  bool empty() const { return prefixes_.empty() && globs_.empty(); }
  // False for every path when empty (callers decide what no filter means).
  bool Matches(std::string_view path) const;
  // The entries as given, for messages.
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
  std::vector<std::string> prefixes_;  // normalized: no "./" in front, no '/' at the end
  std::vector<GlobPattern> globs_;
};

}  // namespace tools
