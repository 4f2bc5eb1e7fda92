// Clock: the seam for time, so tests can control it.
//
// Threading: all methods are safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  // Monotonic time in nanoseconds, for measuring durations.
  virtual int64_t MonotonicNanos() const = 0;
  virtual void SleepForMicros(int64_t micros) = 0;
};

// The real clock. Never null; never destroyed.
Clock* SystemClock();

// A clock that only moves when told to. SleepForMicros advances it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1'700'000'000'000'000) : now_micros_(start_micros) {}
  int64_t NowMicros() const override { return now_micros_.load(); }
  int64_t MonotonicNanos() const override { return now_micros_.load() * 1000; }
  void SleepForMicros(int64_t micros) override { Advance(micros); }
  void Advance(int64_t micros) { now_micros_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_micros_;
};

}  // namespace base
