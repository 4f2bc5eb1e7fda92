#include "sandbox/helper/report.h"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace sandbox::helper {

void Report::WriteLine(const std::string& line) const {
  if (fd_ < 0) return;
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone; nobody to tell
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void Report::SetupError(std::string_view stage, const base::Status& status) const {
  nlohmann::json j = {{"event", "setup_error"}, {"stage", stage}, {"message", status.ToString()}};
  WriteLine(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void Report::Applied(const LaunchPlan& plan, const std::vector<std::string>& notes) const {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerStatus& s : plan.layers) {
    if (s.state == LayerState::kActive) layers.push_back(LayerName(s.layer));
  }
  nlohmann::json j = {{"event", "applied"}, {"layers", layers}, {"notes", notes}};
  WriteLine(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void Report::Fail(std::string_view stage, const base::Status& status) const {
  SetupError(stage, status);
  ::_exit(kSetupFailedExit);
}

void Report::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace sandbox::helper
