// What RunSandboxed and SpawnSandboxed share: planning against the host,
// owned descriptors above the ones the helper is given, the helper's
// command line, and reading the helper's report.
//
// Threading: free functions without shared state; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/sandbox.h"

namespace sandbox::internal {

// Descriptor numbers the helper finds its report pipe and plan on.
inline constexpr int kReportFd = 3;
inline constexpr int kPlanFd = 4;
// The most of the helper's report that is kept.
inline constexpr uint64_t kReportCap = 1 * kMiB;

// Owns a descriptor; -1 when empty.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Takes ownership of `fd` and returns a close-on-exec duplicate numbered
// 10 or above, so no dup2 in the child clobbers another source and
// concurrent spawns on other threads never inherit it.
base::Result<UniqueFd> HighFd(int fd);

struct Pipe {
  UniqueFd read, write;
};
base::Result<Pipe> MakePipe();

// A sealed in-memory file (memfd) holding `data`, positioned at its start:
// nobody can change it after this.
base::Result<UniqueFd> DataMemfd(const char* name, const std::string& data);

// Checks the paths, probes the host (kernel features, hard links in the
// repository) and plans. Errors as PlanLaunch, plus non-canonical paths.
base::Result<LaunchPlan> PlanForHost(const Policy& policy, const CommandSpec& command,
                                     const ExecOptions& options);

// options.helper_binary, else /proc/self/exe.
base::Result<std::string> HelperPath(const ExecOptions& options);

// `__sandbox-exec --plan-fd 4 --report-fd 3 --parent-pid P -- CMD...`.
std::vector<std::string> HelperArgs(const LaunchPlan& plan);

// What the helper said on its report pipe.
struct HelperReport {
  bool applied = false;     // confinement is in place (the command was about to exec)
  std::string setup_error;  // "stage: message" when it failed before that
  std::vector<std::string> notes;
};
HelperReport ParseHelperReport(const std::string& text);

}  // namespace sandbox::internal
