// The helper's report pipe: one JSON object per line, read by RunSandboxed.
//   {"event":"setup_error","stage":"mounts","message":"..."}
//   {"event":"applied","layers":["user_ns",...],"notes":["..."]}
// "applied" is written by the command's process after the last layer and
// before execve; the descriptor is close-on-exec, so EOF follows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sandbox/launch_plan.h"

namespace sandbox::helper {

inline constexpr int kSetupFailedExit = 125;

class Report {
 public:
  explicit Report(int fd) : fd_(fd) {}
  int fd() const { return fd_; }
  void SetupError(std::string_view stage, const base::Status& status) const;
  void Applied(const LaunchPlan& plan, const std::vector<std::string>& notes) const;
  // Reports a failed step and ends the process.
  [[noreturn]] void Fail(std::string_view stage, const base::Status& status) const;
  void Close();

 private:
  void WriteLine(const std::string& line) const;
  int fd_;
};

}  // namespace sandbox::helper
