#include "tools/mcp/json_lines.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tools::mcp {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

// poll() for one event, in slices so a deadline far away still wakes up.
// Returns >0 ready, 0 timed out, <0 error (errno set).
int PollUntil(int fd, short events, Deadline deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p = {fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n != 0) return n;
  }
}

// Blocks SIGPIPE in this thread for the duration of a write, and swallows
// the one a write to a closed pipe raises: a plugin that dies must not take
// longhaul with it, and the process-wide disposition is not ours to change.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!already_pending_) {
      const timespec zero = {0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_, old_;
  bool already_pending_ = false;
};

}  // namespace

Deadline DeadlineAfter(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double SecondsLeft(Deadline deadline) {
  return std::max(0.0, std::chrono::duration<double>(deadline - Clock::now()).count());
}

std::string Excerpt(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (text.size() > max) out += "...";
  return out;
}

base::Status JsonLines::Write(int fd, const nlohmann::json& message, Deadline deadline) {
  if (fd < 0) return base::IoError("the plugin server's input is closed");
  // Invalid UTF-8 cannot come from parsed JSON; replace rather than throw.
  const std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  SigpipeGuard guard;
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) return base::IoError("the plugin server closed its input");
    if (n < 0 && errno != EAGAIN) return base::ErrnoStatus("write to the plugin server", errno);
    int ready = PollUntil(fd, POLLOUT, deadline);
    if (ready == 0) return base::DeadlineExceeded("the plugin server stopped reading its input");
    if (ready < 0) return base::ErrnoStatus("poll", errno);
  }
  return base::Status::Ok();
}

base::Result<nlohmann::json> JsonLines::Read(int fd, Deadline deadline) {
  for (;;) {
    size_t newline = buffer_.find('\n', scanned_);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      scanned_ = 0;
      if (line.size() > max_message_bytes_) {
        return base::ResourceExhausted("a message of " + std::to_string(line.size()) + " bytes, over the limit of " +
                                       std::to_string(max_message_bytes_));
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      nlohmann::json message = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded()) return base::Corruption("a line that is not JSON: \"" + Excerpt(line, 120) + "\"");
      if (!message.is_object()) return base::Corruption("a JSON line that is not an object: \"" + Excerpt(line, 120) + "\"");
      return message;
    }
    scanned_ = buffer_.size();
    if (buffer_.size() > max_message_bytes_) {
      return base::ResourceExhausted("a message of more than " + std::to_string(max_message_bytes_) +
                                     " bytes (the limit) without its end");
    }
    if (eof_) {
      if (buffer_.find_first_not_of(" \t\r") != std::string::npos) {
        return base::IoError("end of output in the middle of a message: \"" + Excerpt(buffer_, 120) + "\"");
      }
      return base::IoError("end of output");
    }
    int ready = PollUntil(fd, POLLIN, deadline);
    if (ready == 0) return base::DeadlineExceeded("no answer in time");
    if (ready < 0) return base::ErrnoStatus("poll", errno);
    char chunk[kReadChunk];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return base::ErrnoStatus("read from the plugin server", errno);
    if (n == 0) {
      eof_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace tools::mcp
