#include "base/thread_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

TEST_CASE("ThreadPool::Run calls every thread index once", "[base][thread_pool]") {
  for (int n : {1, 2, 4, 7}) {
    base::ThreadPool pool(n);
    REQUIRE(pool.num_threads() == n);
    std::vector<std::atomic<int>> calls(static_cast<size_t>(n));
    for (int rep = 0; rep < 100; ++rep) {
      pool.Run([&](int t) { calls[static_cast<size_t>(t)].fetch_add(1); });
    }
    for (auto& c : calls) CHECK(c.load() == 100);
  }
}

TEST_CASE("ParallelFor covers the range exactly once", "[base][thread_pool]") {
  base::ThreadPool pool(4);
  for (int64_t n : {0, 1, 3, 4, 5, 100, 1001}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.ParallelFor(n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (auto& h : hits) REQUIRE(h.load() == 1);
  }
}

TEST_CASE("ParallelFor respects the grain", "[base][thread_pool]") {
  base::ThreadPool pool(4);
  std::atomic<int> ranges{0};
  pool.ParallelFor(10, 8, [&](int64_t begin, int64_t end) {
    CHECK(end - begin >= 5);
    ranges.fetch_add(1);
  });
  CHECK(ranges.load() == 2);
}

TEST_CASE("ThreadPool survives many small back-to-back jobs", "[base][thread_pool]") {
  base::ThreadPool pool(3);
  std::vector<int64_t> data(4096);
  std::iota(data.begin(), data.end(), 0);
  for (int rep = 0; rep < 2000; ++rep) {
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(static_cast<int64_t>(data.size()), 64, [&](int64_t b, int64_t e) {
      int64_t local = 0;
      for (int64_t i = b; i < e; ++i) local += data[static_cast<size_t>(i)];
      sum.fetch_add(local);
    });
    REQUIRE(sum.load() == 4096 * 4095 / 2);
  }
}
