#include "tools/code/file_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "tools/ignore_rules.h"
#include "tools/walk.h"

namespace tools {
namespace {

FileStamp ToStamp(const struct stat& st) {
  FileStamp s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.device = static_cast<uint64_t>(st.st_dev);
  return s;
}

// The first bytes of a file, for its `#!` line.
std::string Head(const std::string& absolute) {
  char buf[256];
  const int fd = ::open(absolute.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "";
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

base::Result<FileStamp> StampOf(const std::string& absolute) {
  struct stat st;
  if (::lstat(absolute.c_str(), &st) != 0) return base::ErrnoStatus(absolute, errno);
  if (!S_ISREG(st.st_mode)) return base::FailedPrecondition(absolute + " is not a regular file");
  return ToStamp(st);
}

base::Result<std::vector<SourceFile>> ScanSourceFiles(const std::string& repo_root, const ScanLimits& limits,
                                                      ScanCounts* counts) {
  IgnoreRules rules(repo_root);
  std::vector<SourceFile> files;
  base::Status walked = WalkFiles(repo_root, ".", rules, [&](const DirEntry& e) {
    if (e.is_symlink) return true;
    std::optional<Language> language = LanguageForPath(e.relative);
    const std::string absolute = repo_root + "/" + e.relative;
    if (!language && MayHaveShebang(e.relative)) language = LanguageForShebang(Head(absolute));
    if (!language) return true;
    auto stamp = StampOf(absolute);
    if (!stamp.ok()) return true;  // vanished or not a regular file
    if (stamp->size > limits.max_file_bytes) {
      ++counts->too_large;
      return true;
    }
    if (files.size() == limits.max_files) {
      counts->file_limit_reached = true;
      return false;
    }
    files.push_back({e.relative, *language, *stamp});
    return true;
  });
  RETURN_IF_ERROR(walked);
  // WalkFiles visits each directory's entries in name order, so "a/b"
  // comes before "a.c"; the index wants plain byte order.
  std::sort(files.begin(), files.end(), [](const SourceFile& a, const SourceFile& b) { return a.relative < b.relative; });
  return files;
}

}  // namespace tools
