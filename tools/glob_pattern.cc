#include "tools/glob_pattern.h"

namespace tools {
namespace {

std::vector<std::string_view> SplitSlash(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) parts.push_back(s.substr(start, end - start));  // `a//b` is `a/b`
    if (end == s.size()) break;
    start = end + 1;
  }
  return parts;
}

// Matches `[...]` at pattern[p] (p at the '['); advances p past the ']'.
bool MatchClass(std::string_view pattern, size_t& p, char c) {
  size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) negate = true, ++i;
  bool matched = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    char lo = pattern[i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 2;
    }
    if (lo <= c && c <= hi) matched = true;
    ++i;
  }
  p = i + 1;  // past ']' (Parse guarantees it is there)
  return matched != negate;
}

bool ClassIsClosed(std::string_view pattern, size_t p) {
  size_t i = p + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;  // a leading ']' is literal
  return pattern.find(']', i) != std::string_view::npos;
}

bool MatchSegments(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string_view>& path,
                   size_t si) {
  if (pi == pat.size()) return si == path.size();
  if (pat[pi] == "**") {
    for (size_t k = si; k <= path.size(); ++k) {
      if (MatchSegments(pat, pi + 1, path, k)) return true;
    }
    return false;
  }
  if (si == path.size() || !MatchSegment(pat[pi], path[si])) return false;
  return MatchSegments(pat, pi + 1, path, si + 1);
}

}  // namespace

bool MatchSegment(std::string_view pattern, std::string_view name) {
  // Iterative wildcard matching with one backtrack point for the last `*`:
  // linear-ish, no exponential blow-up on patterns like `*a*a*a*b`.
  size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_n = n;
      continue;
    }
    if (p < pattern.size()) {
      size_t next = p + 1;
      bool ok = false;
      if (pattern[p] == '?') {
        ok = true;
      } else if (pattern[p] == '[' && ClassIsClosed(pattern, p)) {
        next = p;  // MatchClass starts at the '[' and moves past the ']'
        ok = MatchClass(pattern, next, name[n]);
      } else {
        ok = pattern[p] == name[n];
      }
      if (ok) {
        p = next;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

base::Result<GlobPattern> GlobPattern::Parse(std::string_view pattern) {
  const std::string shown(pattern);
  if (pattern.empty()) return base::InvalidArgument("the glob pattern is empty; try \"**/*.cc\"");
  if (pattern.front() == '/') {
    return base::InvalidArgument("glob pattern " + shown + " is absolute; patterns are relative to the search directory");
  }
  GlobPattern g;
  for (std::string_view seg : SplitSlash(pattern)) {
    if (seg == "..") return base::InvalidArgument("glob pattern " + shown + " uses `..`; patterns stay inside the repository");
    if (seg == ".") continue;
    for (size_t i = 0; i < seg.size(); ++i) {
      if (seg[i] == '[' && !ClassIsClosed(seg, i)) {
        return base::InvalidArgument("glob pattern " + shown + " has a `[` without a closing `]`");
      }
    }
    // `a**b` is two stars inside a component, which is just `*`.
    g.segments_.emplace_back(seg);
  }
  if (g.segments_.empty()) return base::InvalidArgument("glob pattern " + shown + " names no files; try \"**/*\"");
  return g;
}

bool GlobPattern::Matches(std::string_view path) const {
  return MatchSegments(segments_, 0, SplitSlash(path), 0);
}

}  // namespace tools
