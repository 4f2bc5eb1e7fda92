#include "tools/code/path_filter.h"

#include <algorithm>

namespace tools {
namespace {

bool IsGlob(std::string_view entry) { return entry.find_first_of("*?[") != std::string_view::npos; }

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool HasDotDot(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

base::Result<PathFilter> PathFilter::Parse(const std::vector<std::string>& entries, std::string_view argument) {
  PathFilter filter;
  for (const std::string& entry : entries) {
    std::string_view p = entry;
    while (p.substr(0, 2) == "./") p.remove_prefix(2);
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    const std::string quoted = std::string(argument) + " entry \"" + entry + "\"";
    if (p.empty() || p == ".") {
      return base::InvalidArgument(quoted + " names the whole repository; leave " + std::string(argument) +
                                   " out instead");
    }
    if (p.front() == '/' || HasDotDot(p)) {
      return base::InvalidArgument(quoted + " must be a path relative to the repository root, without \"..\"");
    }
    if (IsGlob(p)) {
      auto glob = GlobPattern::Parse(p);
      if (!glob.ok()) return base::InvalidArgument(quoted + ": " + glob.status().message());
      filter.globs_.push_back(std::move(*glob));
    } else {
      filter.prefixes_.emplace_back(p);
    }
    filter.entries_.push_back(entry);
  }
  return filter;
}

bool PathFilter::Matches(std::string_view path) const {
  for (const std::string& prefix : prefixes_) {
    if (path == prefix) return true;
    if (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix && path[prefix.size()] == '/') {
      return true;
    }
  }
  for (const GlobPattern& glob : globs_) {
    if (glob.Matches(glob.has_slash() ? path : BaseName(path))) return true;
  }
  return false;
}

}  // namespace tools
