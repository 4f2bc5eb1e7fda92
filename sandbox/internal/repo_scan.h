// Finds the repository's hard-linked files: a write through such a name
// changes the file's other names too, which may lie outside the repo.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sandbox::internal {

struct HardlinkScan {
  std::vector<std::string> files;  // absolute paths, sorted
  bool complete = true;            // false: stopped at the entry limit
};

// Walks `repo` without following symlinks or descending into the top
// .git (read-only anyway), stopping after `max_entries` entries.
HardlinkScan ScanHardlinks(const std::string& repo, uint64_t max_entries);

}  // namespace sandbox::internal
