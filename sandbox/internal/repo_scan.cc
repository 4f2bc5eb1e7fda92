#include "sandbox/internal/repo_scan.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace sandbox::internal {

HardlinkScan ScanHardlinks(const std::string& repo, uint64_t max_entries) {
  namespace fs = std::filesystem;
  HardlinkScan scan;
  std::error_code ec;
  fs::recursive_directory_iterator it(repo, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    scan.complete = false;
    return scan;
  }
  const fs::path git_dir = fs::path(repo) / ".git";
  uint64_t seen = 0;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      // An entry vanished or could not be read: the scan cannot vouch for
      // the whole tree.
      scan.complete = false;
      break;
    }
    if (++seen > max_entries) {
      scan.complete = false;
      break;
    }
    const fs::directory_entry& entry = *it;
    fs::file_status st = entry.symlink_status(ec);
    if (ec) continue;
    if (fs::is_directory(st)) {
      if (entry.path() == git_dir) it.disable_recursion_pending();
      continue;
    }
    if (!fs::is_regular_file(st)) continue;
    if (entry.hard_link_count(ec) > 1 && !ec) scan.files.push_back(entry.path().string());
  }
  std::sort(scan.files.begin(), scan.files.end());
  return scan;
}

}  // namespace sandbox::internal
