// Glob patterns for the glob tool and grep's file filter: `*` and `?`
// within one path component, `[abc]`, `[a-z]` and `[!abc]` classes, and
// `**` as a whole component for any number of directories (zero included).
// Private to tools/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tools {

class GlobPattern {
 public:
  // kInvalidArgument (message for the model) for an unclosed `[`, an
  // absolute pattern or `..`.
  static base::Result<GlobPattern> Parse(std::string_view pattern);

  // `path` is '/'-separated and relative, like the pattern.
  bool Matches(std::string_view path) const;
  bool has_slash() const { return segments_.size() > 1; }

 private:
  std::vector<std::string> segments_;
};

// One component against one segment (no '/' in either).
bool MatchSegment(std::string_view segment, std::string_view name);

}  // namespace tools
