#include "tools/paths.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tools {
namespace {

namespace fs = std::filesystem;

bool IsWithin(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

std::string RelativeTo(const std::string& path, const std::string& root) {
  if (path == root) return ".";
  return path.substr(root == "/" ? 1 : root.size() + 1);
}

std::string ReadLinkText(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n < 0 ? std::string("?") : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

bool IsInGitDir(std::string_view relative) {
  return relative == ".git" || relative.substr(0, 5) == ".git/";
}

base::Result<ResolvedPath> ResolvePath(const std::string& repo_root, std::string_view user_path) {
  const std::string shown(user_path);
  if (user_path.empty()) return base::InvalidArgument("the path is empty; give a path relative to the repository root");
  if (user_path.find('\0') != std::string_view::npos) {
    return base::InvalidArgument("the path contains a NUL byte");
  }
  const fs::path root(repo_root);
  fs::path p(shown);
  // Lexical normalisation first: `a/../b` and `./b` name the same entry,
  // and whatever remains that climbs above the root leaves the repository.
  fs::path joined = (p.is_absolute() ? p : root / p).lexically_normal();
  std::string lexical = joined.string();
  if (lexical.size() > 1 && lexical.back() == '/') lexical.pop_back();
  if (!IsWithin(lexical, repo_root)) {
    if (p.is_absolute()) {
      return base::InvalidArgument("path " + shown + " is outside the repository (" + repo_root +
                                   "); the tools only reach files inside it");
    }
    return base::InvalidArgument("path " + shown + " leads outside the repository with `..`; the tools only reach files inside " + repo_root);
  }

  // Walk the components from the root with lstat, resolving each symlink
  // as it comes, so a link anywhere on the way is checked, not just the end.
  std::string current = repo_root;
  const std::string rel = RelativeTo(lexical, repo_root);
  fs::path remainder;
  bool exists = true;
  if (rel != ".") {
    for (const fs::path& part : fs::path(rel)) {
      if (!exists) {
        remainder /= part;
        continue;
      }
      std::string next = current == "/" ? "/" + part.string() : current + "/" + part.string();
      struct stat st;
      if (::lstat(next.c_str(), &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR) {
          return base::InvalidArgument("cannot access " + shown + ": " + std::strerror(errno));
        }
        exists = false;
        remainder /= part;
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        char real[PATH_MAX];
        if (::realpath(next.c_str(), real) == nullptr) {
          return base::NotFound("path " + shown + ": " + RelativeTo(next, repo_root) +
                                " is a symlink to " + ReadLinkText(next) + ", which does not exist");
        }
        if (!IsWithin(real, repo_root)) {
          return base::InvalidArgument("path " + shown + ": " + RelativeTo(next, repo_root) +
                                       " is a symlink to " + real +
                                       ", outside the repository; the tools do not follow it");
        }
        next = real;
      }
      current = next;
    }
  }
  ResolvedPath out;
  out.exists = exists;
  out.absolute = remainder.empty() ? current : (fs::path(current) / remainder).string();
  out.relative = RelativeTo(out.absolute, repo_root);
  return out;
}

}  // namespace tools
