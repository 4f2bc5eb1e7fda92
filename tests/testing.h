// Shared helpers for longhaul's Catch2 tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace testing {

// ../shared/testdata (or $LONGHAUL_TESTDATA), if present.
std::optional<std::string> TestDataDir();

// A fresh empty directory under the system temp dir, removed at exit.
std::string MakeTempDir(const std::string& prefix);

// Absolute path of the built `longhaul` binary.
std::string LonghaulBinary();

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};
// Runs argv (argv[0] is a path) with no stdin and captures both streams.
CommandResult RunCommand(const std::vector<std::string>& argv);
// Runs the built longhaul binary with these arguments.
CommandResult RunLonghaul(const std::vector<std::string>& args);

}  // namespace testing

// Skips the rest of a test loudly when the reference data is missing.
#define REQUIRE_TESTDATA(var)                                                          \
  auto var##_opt = ::testing::TestDataDir();                                           \
  if (!var##_opt) {                                                                    \
    WARN("SKIPPED: reference data not found; set LONGHAUL_TESTDATA to shared/testdata"); \
    return;                                                                            \
  }                                                                                    \
  const std::string var = *var##_opt
