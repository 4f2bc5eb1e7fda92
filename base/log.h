// Leveled logging to stderr, and CHECK for programmer bugs.
//
// LOG(INFO) << "loaded " << n << " tensors";
// Messages below the global level (default kWarning, or LONGHAUL_LOG=debug|
// info|warning|error) are dropped without formatting their arguments.
// CHECK(cond) aborts: use it only for invariants that input cannot break.
// Thread-safe: each message is written with one write(2) call.
#pragma once

#include <sstream>
#include <string_view>

namespace base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning"/"warn", "error". Returns false otherwise.
bool ParseLogLevel(std::string_view text, LogLevel* level);

namespace internal {

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();  // writes the line; aborts for kFatal
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Swallows the stream expression when the level is disabled.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace internal
}  // namespace base

#define LH_LOG_LEVEL_DEBUG ::base::LogLevel::kDebug
#define LH_LOG_LEVEL_INFO ::base::LogLevel::kInfo
#define LH_LOG_LEVEL_WARNING ::base::LogLevel::kWarning
#define LH_LOG_LEVEL_ERROR ::base::LogLevel::kError
#define LH_LOG_LEVEL_FATAL ::base::LogLevel::kFatal

#define LOG(severity)                                               \
  (LH_LOG_LEVEL_##severity < ::base::GetLogLevel())                 \
      ? (void)0                                                     \
      : ::base::internal::LogVoidify() &                            \
            ::base::internal::LogMessage(LH_LOG_LEVEL_##severity,   \
                                         __FILE__, __LINE__)        \
                .stream()

#define CHECK(cond)                                                        \
  (cond) ? (void)0                                                         \
         : ::base::internal::LogVoidify() &                                \
               ::base::internal::LogMessage(::base::LogLevel::kFatal,      \
                                            __FILE__, __LINE__)            \
                       .stream()                                           \
                   << "CHECK failed: " #cond " "

#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_LT(a, b) CHECK((a) < (b))
#define CHECK_LE(a, b) CHECK((a) <= (b))
#define CHECK_GE(a, b) CHECK((a) >= (b))
