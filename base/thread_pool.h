// A persistent thread pool for data-parallel loops (matmuls, attention).
//
// Threading contract: one thread (the owner) calls Run/ParallelFor at a
// time; the calls are not reentrant (no ParallelFor inside a task). The
// owner thread takes part in the work as thread index 0, so a pool of N
// threads starts N-1 workers. Between jobs, workers spin briefly and then
// sleep, so back-to-back small jobs (decode) do not pay a futex wake each;
// the owner waiting for a job's stragglers does the same, so an
// oversubscribed machine degrades to futex handoffs instead of spinning.
// Run/ParallelFor never allocate.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace base {

// A non-owning reference to a callable, cheaper than std::function.
template <typename Sig>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

class ThreadPool {
 public:
  // num_threads <= 0 means one per hardware thread.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(thread_index) once on each of the num_threads() threads and
  // waits for all of them.
  void Run(FunctionRef<void(int)> fn);

  // Splits [0, n) into contiguous ranges of at least `grain` items and
  // calls fn(begin, end) on the pool; waits for all of them.
  void ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn);

 private:
  void WorkerLoop(int index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  FunctionRef<void(int)>* job_ = nullptr;  // valid while pending_ > 0
};

}  // namespace base
