// Shared set-up for the store tests: a temp data dir, a store over an
// optional file-system seam, and token helpers.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "base/clock.h"
#include "sessions/store.h"
#include "tests/sessions/fake_kv.h"
#include "tests/testing.h"

namespace sessions_testing {

// Tokens [first, first + n), varied so blocks differ.
inline std::vector<int32_t> Tokens(int32_t first, int n) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[static_cast<size_t>(i)] = static_cast<int32_t>((int64_t{first} + i) * 7919 % 1000);
  return t;
}

inline void Append(std::vector<int32_t>* history, const std::vector<int32_t>& more) {
  history->insert(history->end(), more.begin(), more.end());
}

struct StoreFixture {
  std::string dir = testing::MakeTempDir("lh_sessions");
  base::FakeClock clock;
  base::FileSystem* fs = nullptr;  // null: the real disk

  std::unique_ptr<sessions::Store> Open(int busy_timeout_ms = 5000, uint64_t segment_bytes = 64ull << 20) {
    sessions::StoreOptions o;
    o.data_dir = dir;
    o.fs = fs;
    o.clock = &clock;
    o.busy_timeout_ms = busy_timeout_ms;
    o.segment_bytes = segment_bytes;
    auto store = sessions::Store::Open(o);
    REQUIRE(store.ok());
    return std::move(store).value();
  }
};

template <typename T>
T Unwrap(base::Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline void RequireOk(const base::Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

}  // namespace sessions_testing
