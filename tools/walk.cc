#include "tools/walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace tools {
namespace {

std::string Join(std::string_view dir, std::string_view name) {
  if (dir.empty() || dir == ".") return std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

// Returns false when `visit` asked to stop.
bool Walk(const std::string& repo_root, const std::string& relative, const IgnoreRules& rules,
          const std::function<bool(const DirEntry&)>& visit) {
  auto entries = ReadDirEntries(repo_root, relative, rules);
  if (!entries.ok()) return true;  // unreadable directory: skip it, keep going
  for (const DirEntry& e : *entries) {
    if (e.ignored) continue;
    if (e.is_dir && !e.is_symlink) {
      if (!Walk(repo_root, e.relative, rules, visit)) return false;
    } else if (!e.is_dir) {
      if (!visit(e)) return false;
    }
  }
  return true;
}

}  // namespace

base::Result<std::vector<DirEntry>> ReadDirEntries(const std::string& repo_root, std::string_view relative,
                                                   const IgnoreRules& rules) {
  const std::string dir_path = relative.empty() || relative == "." ? repo_root : repo_root + "/" + std::string(relative);
  DIR* dir = ::opendir(dir_path.c_str());
  if (dir == nullptr) return base::ErrnoStatus(std::string(relative), errno);
  std::vector<DirEntry> out;
  while (const struct dirent* d = ::readdir(dir)) {
    const std::string name = d->d_name;
    if (name == "." || name == "..") continue;
    DirEntry e;
    e.name = name;
    e.relative = Join(relative, name);
    struct stat st;
    const std::string full = dir_path + "/" + name;
    if (::lstat(full.c_str(), &st) != 0) continue;  // vanished meanwhile
    e.is_symlink = S_ISLNK(st.st_mode);
    if (e.is_symlink) {
      struct stat target;
      e.is_dir = ::stat(full.c_str(), &target) == 0 && S_ISDIR(target.st_mode);
    } else {
      e.is_dir = S_ISDIR(st.st_mode);
    }
    e.ignored = rules.IsIgnored(e.relative, e.is_dir && !e.is_symlink);
    out.push_back(std::move(e));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

base::Status WalkFiles(const std::string& repo_root, std::string_view relative, const IgnoreRules& rules,
                       const std::function<bool(const DirEntry&)>& visit) {
  RETURN_IF_ERROR(ReadDirEntries(repo_root, relative, rules).status());
  Walk(repo_root, std::string(relative), rules, visit);
  return base::Status::Ok();
}

}  // namespace tools
