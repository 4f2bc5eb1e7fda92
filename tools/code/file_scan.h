// Finding the source files the code map indexes: every file under the
// repository root that git does not ignore (and not under .git), whose
// extension or `#!` line names a supported language, no larger than the
// size limit. Symlinks are left out: their targets are either indexed
// under their own path or lie outside the repository. Private to tools/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tools/code/language.h"

namespace tools {

// What stat says about a file; equal stamps mean unchanged content unless
// the file was written within the timestamp granularity of the last read
// (CodeIndex guards that case by hashing).
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  bool operator==(const FileStamp&) const = default;
};

struct SourceFile {
  std::string relative;  // from the repository root
  Language language = Language::kC;
  FileStamp stamp;
};

struct ScanLimits {
  uint64_t max_file_bytes = 0;
  size_t max_files = 0;  // the walk stops there (in walk order)
};

struct ScanCounts {
  size_t too_large = 0;  // supported language, over the size limit
  bool file_limit_reached = false;
};

// Sorted by path. Errors only when the root itself cannot be read.
base::Result<std::vector<SourceFile>> ScanSourceFiles(const std::string& repo_root, const ScanLimits& limits,
                                                      ScanCounts* counts);

// The stamp of `absolute`, or an error when it cannot be stat'ed.
base::Result<FileStamp> StampOf(const std::string& absolute);

}  // namespace tools
