// What the store's parts share: the file system, clock, database
// connection and layout of one open data directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/filesystem.h"
#include "sessions/db/sqlite.h"

namespace sessions::internal {

inline constexpr char kDbFile[] = "sessions.db";
inline constexpr char kLockDir[] = "locks";

struct StoreDeps {
  base::FileSystem* fs = nullptr;
  base::Clock* clock = nullptr;
  std::string data_dir;
  uint64_t segment_bytes = 0;
  std::unique_ptr<db::Db> db;
};

// Seconds between two MonotonicNanos readings.
inline double SecondsSince(const base::Clock* clock, int64_t start_nanos) {
  return static_cast<double>(clock->MonotonicNanos() - start_nanos) * 1e-9;
}

}  // namespace sessions::internal
