#include "tests/testing.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace testing {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

struct TempDirs {
  std::mutex mu;
  std::vector<std::string> paths;
  ~TempDirs() {
    if (std::getenv("LONGHAUL_KEEP_TEMP")) return;
    std::error_code ec;
    for (const std::string& p : paths) std::filesystem::remove_all(p, ec);
  }
};

TempDirs& AllTempDirs() {
  static TempDirs dirs;
  return dirs;
}

}  // namespace

std::optional<std::string> TestDataDir() {
  if (const char* env = std::getenv("LONGHAUL_TESTDATA"); env != nullptr && *env != '\0') {
    if (IsDir(env)) return std::string(env);
    return std::nullopt;
  }
  if (IsDir(LONGHAUL_TESTDATA_DEFAULT)) return std::string(LONGHAUL_TESTDATA_DEFAULT);
  return std::nullopt;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* made = ::mkdtemp(buf.data());
  if (made == nullptr) std::abort();  // test infrastructure failure
  TempDirs& dirs = AllTempDirs();
  std::lock_guard<std::mutex> lock(dirs.mu);
  dirs.paths.emplace_back(made);
  return made;
}

std::string LonghaulBinary() { return std::string(LONGHAUL_BINARY_DIR) + "/agent/longhaul"; }

}  // namespace testing
