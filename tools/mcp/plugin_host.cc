#include "tools/mcp/plugin_host.h"

#include <algorithm>
#include <cstdio>

namespace tools::mcp {
namespace {

constexpr uint64_t kStderrCapBytes = 64 * 1024;
constexpr size_t kStderrShownBytes = 1500;
// How long a server whose input was closed gets to exit on its own.
constexpr double kShutdownGraceSeconds = 0.2;

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", s);
  return buf;
}

std::string StderrTail(const sandbox::SandboxedProcess& process) {
  sandbox::CapturedOutput err = process.StderrOutput();
  std::string text = err.Text();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return "";
  if (text.size() > kStderrShownBytes) text = "..." + text.substr(text.size() - kStderrShownBytes);
  return "; its stderr ends with:\n" + text;
}

}  // namespace

base::Result<std::shared_ptr<PluginHost>> PluginHost::Start(const PluginSpec& spec, const LaunchSettings& launch,
                                                            std::vector<std::string>* warnings) {
  auto host = std::make_shared<PluginHost>(spec, launch);
  std::lock_guard<std::mutex> lock(host->mu_);
  RETURN_IF_ERROR(host->StartServerLocked(spec.protocol));
  auto tools = host->client_->ListTools(DeadlineAfter(host->StartupTimeout()), warnings);
  if (!tools.ok()) {
    std::string how = host->StopServerLocked(tools.status(), host->StartupTimeout());
    return base::FailedPrecondition("listing its tools failed: the server " + how);
  }
  host->tools_ = std::move(*tools);
  host->protocol_version_ = host->client_->protocol_version();
  return host;
}

PluginHost::~PluginHost() {
  std::lock_guard<std::mutex> lock(mu_);
  if (process_ == nullptr) return;
  // The stdio way to ask a server to stop; the destructor kills what stays.
  process_->CloseStdin();
  process_->Wait(kShutdownGraceSeconds);
}

double PluginHost::StartupTimeout() const {
  return spec_.startup_timeout_seconds > 0 ? spec_.startup_timeout_seconds : launch_.startup_timeout_seconds;
}

base::Status PluginHost::StartServerLocked(ProtocolChoice protocol) {
  const Deadline deadline = DeadlineAfter(StartupTimeout());
  std::vector<std::string> argv = {spec_.command};
  argv.insert(argv.end(), spec_.args.begin(), spec_.args.end());
  auto spawned = sandbox::SpawnSandboxed(PluginPolicy(spec_, launch_, StartupTimeout(), kStderrCapBytes),
                                         PluginCommand(std::move(argv)), PluginExecOptions(launch_));
  if (!spawned.ok()) return spawned.status().WithContext("the sandbox refused to start the server");
  process_ = std::move(*spawned);
  client_ = std::make_unique<McpClient>(ServerPipes{process_->stdin_fd(), process_->stdout_fd()},
                                        spec_.max_message_bytes);
  ConnectOptions options;
  options.protocol = protocol;
  options.probe_timeout_seconds = std::min(3.0, StartupTimeout() / 2);
  base::Status connected = client_->Connect(options, deadline);
  if (!connected.ok() && protocol == ProtocolChoice::kAuto && connected.code() == base::StatusCode::kIoError &&
      process_->Wait(1).has_value()) {
    // Some handshake-era servers exit on a request they do not know before
    // initialize; such a server gets a fresh start without the probe.
    StopServerLocked(connected, StartupTimeout());
    return StartServerLocked(ProtocolChoice::kLegacy);
  }
  if (!connected.ok()) {
    return base::FailedPrecondition("the MCP handshake failed: the server " +
                                    StopServerLocked(connected, StartupTimeout()));
  }
  return base::Status::Ok();
}

std::string PluginHost::StopServerLocked(const base::Status& why, double waited_seconds) {
  std::string how;
  switch (why.code()) {
    case base::StatusCode::kDeadlineExceeded:
      how = "did not answer within " + FormatSeconds(waited_seconds) + " (it may hang)";
      break;
    case base::StatusCode::kResourceExhausted:
    case base::StatusCode::kCorruption:
      how = "sent " + why.message() + ", which breaks the protocol";
      break;
    case base::StatusCode::kIoError: {
      std::optional<sandbox::ProcessExit> exit = process_->Wait(1);
      if (!exit) {
        how = "closed its end of the pipe (" + why.message() + ")";
      } else if (exit->termination == sandbox::Termination::kSignaled) {
        how = "crashed (" + exit->Describe() + ")";
      } else {
        how = "exited (" + exit->Describe() + ")";
      }
      break;
    }
    default:
      how = "was unusable: " + why.message();
  }
  process_->Kill();
  how += StderrTail(*process_);
  client_.reset();
  process_.reset();
  return how;
}

McpCallResult PluginHost::OffResult() const {
  return {true, "plugin \"" + spec_.name + "\": off for the rest of this session: its server failed again after a " +
                    "restart (" + failures_ + "). Fix the plugin, then restart longhaul."};
}

void PluginHost::NoteFailureLocked(const std::string& how) {
  failures_ += (failures_.empty() ? "" : "; then ") + how;
}

std::optional<McpCallResult> PluginHost::RestartLocked() {
  if (restarted_) {
    given_up_ = true;
    return OffResult();
  }
  restarted_ = true;
  base::Status started = StartServerLocked(spec_.protocol);
  if (started.ok()) return std::nullopt;
  given_up_ = true;
  NoteFailureLocked("the restart failed: " + started.message());
  return McpCallResult{true, "plugin \"" + spec_.name + "\": its server failed (" + failures_ +
                                 "); the plugin stays off for this session"};
}

McpCallResult PluginHost::Call(const std::string& tool, const nlohmann::json& arguments) {
  std::lock_guard<std::mutex> lock(mu_);
  if (given_up_) return OffResult();
  if (process_ != nullptr && process_->TryWait().has_value()) {
    NoteFailureLocked("between calls the server " + StopServerLocked(base::IoError("end of output"), 0));
  }
  if (process_ == nullptr) {
    if (std::optional<McpCallResult> refused = RestartLocked()) return *refused;
  }
  auto result = client_->CallTool(tool, arguments, DeadlineAfter(spec_.timeout_seconds));
  if (!result.ok() && !client_->last_request_delivered() && !restarted_) {
    // The server died while idle (TryWait can lag its death) and the
    // request never reached it: start it again and send the request then.
    NoteFailureLocked("between calls the server " + StopServerLocked(result.status(), 0));
    if (std::optional<McpCallResult> refused = RestartLocked()) return *refused;
    result = client_->CallTool(tool, arguments, DeadlineAfter(spec_.timeout_seconds));
  }
  if (result.ok()) return *result;
  std::string how = StopServerLocked(result.status(), spec_.timeout_seconds);
  NoteFailureLocked(how);
  const std::string who = "plugin \"" + spec_.name + "\": the server " + how;
  if (restarted_) {
    given_up_ = true;
    return {true, who + ". It had already been restarted once, so the plugin stays off for this session."};
  }
  return {true, who + ". It was stopped; the next call starts it again."};
}

}  // namespace tools::mcp
