// grep's regular expressions: PCRE2 (Perl syntax, which models know),
// with match and depth limits so a catastrophic pattern such as (a*)*b
// gives up on a line instead of hanging the agent. The only file that
// includes PCRE2. Private to tools/.
//
// Threading: one Regex per call (it owns its match data).
#pragma once

#include <memory>
#include <string_view>

#include "base/status.h"

namespace tools {

class Regex {
 public:
  enum class Match { kYes, kNo, kTooExpensive };

  // kInvalidArgument naming the error and its offset in the pattern.
  static base::Result<std::unique_ptr<Regex>> Compile(std::string_view pattern, bool case_insensitive);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Searches one line (invalid UTF-8 in it is tolerated).
  Match Search(std::string_view line) const;

 private:
  Regex() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tools
