// Newline-delimited JSON over a pair of pipes: the stdio framing of MCP
// (one JSON-RPC message per line, no embedded newlines). Private to tools/.
//
// Every wait has a deadline; nothing here blocks forever, whatever the peer
// does. A line longer than the limit, or one that is not a JSON object,
// ends the exchange with an error: after either, the stream can no longer
// be trusted to be in step.
//
// Threading: one JsonLines per peer, used by one thread at a time (the
// plugin host's mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tools::mcp {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

Deadline DeadlineAfter(double seconds);
// Seconds from now until `deadline` (0 once it has passed).
double SecondsLeft(Deadline deadline);

class JsonLines {
 public:
  explicit JsonLines(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Writes `message` and a newline to `fd` (O_NONBLOCK). kDeadlineExceeded
  // when the peer does not take it in time, kIoError when it has closed its
  // end (no SIGPIPE reaches the process).
  base::Status Write(int fd, const nlohmann::json& message, Deadline deadline);

  // The next message from `fd` (O_NONBLOCK), blank lines skipped. Errors:
  // kDeadlineExceeded (nothing complete in time; bytes read so far are kept
  // for the next call), kResourceExhausted (a line over the limit),
  // kCorruption (a line that is not a JSON object; the message quotes its
  // start), kIoError (end of file: the peer closed its output).
  base::Result<nlohmann::json> Read(int fd, Deadline deadline);

  size_t max_message_bytes() const { return max_message_bytes_; }

 private:
  size_t max_message_bytes_;
  std::string buffer_;  // read but not yet returned
  size_t scanned_ = 0;  // buffer_[0, scanned_) holds no newline
  bool eof_ = false;
};

// The start of `text` for an error message: at most `max` bytes, control
// characters shown as '?', "..." when cut.
std::string Excerpt(std::string_view text, size_t max);

}  // namespace tools::mcp
