// Shared helpers for longhaul's Catch2 tests.
#pragma once

#include <optional>
#include <string>

namespace testing {

// ../shared/testdata (or $LONGHAUL_TESTDATA), if present.
std::optional<std::string> TestDataDir();

// A fresh empty directory under the system temp dir, removed at exit.
std::string MakeTempDir(const std::string& prefix);

// Absolute path of the built `longhaul` binary.
std::string LonghaulBinary();

}  // namespace testing

// Skips the rest of a test loudly when the reference data is missing.
#define REQUIRE_TESTDATA(var)                                                          \
  auto var##_opt = ::testing::TestDataDir();                                           \
  if (!var##_opt) {                                                                    \
    WARN("SKIPPED: reference data not found; set LONGHAUL_TESTDATA to shared/testdata"); \
    return;                                                                            \
  }                                                                                    \
  const std::string var = *var##_opt
