#include "tools/shell.h"

#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sandbox/sandbox.h"

extern char** environ;

namespace tools {
namespace {

base::Result<std::string> Canonical(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return base::ErrnoStatus(path, errno);
  return std::string(real);
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    const struct passwd* pw = ::getpwuid(::getuid());
    home = pw != nullptr ? pw->pw_dir : "";
  }
  auto real = Canonical(home);
  return real.ok() ? *real : std::string(home);
}

ShellStream ToStream(const sandbox::CapturedOutput& out) {
  return {out.Text(), out.total_bytes, out.dropped_bytes()};
}

nlohmann::json StreamJson(const ShellStream& s) {
  return {{"text", s.text}, {"total_bytes", s.total_bytes}, {"dropped_bytes", s.dropped_bytes}};
}

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

int SandboxExecMain(int argc, char** argv) { return sandbox::RunSandboxExecHelper(argc, argv); }

int ShellResult::ShellExitCode() const {
  if (timed_out) return 124;
  if (!exited) return 128 + signal;
  return exit_code;
}

base::Result<ShellResult> RunCommandInSandbox(const ShellRequest& request) {
  if (request.argv.empty()) return base::InvalidArgument("no command given");
  ASSIGN_OR_RETURN(std::string repo, Canonical(request.repo));
  sandbox::Policy policy = sandbox::DefaultPolicy(repo, HomeDir());
  policy.allow_network = request.allow_network;
  policy.limits.timeout_seconds = request.timeout_seconds;
  policy.limits.output_cap_bytes = request.output_cap_bytes;
  if (policy.limits.output_kill_bytes < request.output_cap_bytes) {
    policy.limits.output_kill_bytes = request.output_cap_bytes;
  }
  if (request.allow_degraded) policy.required_layers.clear();

  sandbox::CommandSpec command;
  command.argv = request.argv;
  if (!request.cwd.empty()) {
    ASSIGN_OR_RETURN(command.cwd, Canonical(request.cwd));
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) command.inherited_env.emplace_back(*e);
  sandbox::ExecOptions options;
  options.helper_binary = request.helper_binary;

  ASSIGN_OR_RETURN(sandbox::ExecResult run, sandbox::RunSandboxed(policy, command, options));
  ShellResult result;
  result.argv = request.argv;
  result.exited = run.termination == sandbox::Termination::kExited;
  result.exit_code = run.exit_code;
  result.signal = run.signal;
  result.timed_out = run.timed_out;
  result.output_limit_exceeded = run.output_limit_exceeded;
  result.stdout_stream = ToStream(run.stdout_output);
  result.stderr_stream = ToStream(run.stderr_output);
  result.wall_seconds = run.wall_seconds;
  result.notes = run.notes;
  for (const sandbox::LayerStatus& s : run.layers) {
    result.layers.push_back({std::string(sandbox::LayerName(s.layer)),
                             std::string(sandbox::LayerStateName(s.state)), s.required, s.detail});
  }
  return result;
}

std::string FormatShellResultJson(const ShellResult& r) {
  nlohmann::json exit = r.exited ? nlohmann::json{{"status", "exited"}, {"code", r.exit_code}}
                                 : nlohmann::json{{"status", "signaled"},
                                                  {"signal", r.signal},
                                                  {"signal_name", SignalName(r.signal)}};
  nlohmann::json layers = nlohmann::json::array();
  for (const ShellLayer& l : r.layers) {
    layers.push_back(
        {{"layer", l.name}, {"state", l.state}, {"required", l.required}, {"detail", l.detail}});
  }
  nlohmann::json j = {{"command", r.argv},
                      {"exit", exit},
                      {"timed_out", r.timed_out},
                      {"output_limit_exceeded", r.output_limit_exceeded},
                      {"stdout", StreamJson(r.stdout_stream)},
                      {"stderr", StreamJson(r.stderr_stream)},
                      {"wall_seconds", r.wall_seconds},
                      {"layers", layers},
                      {"notes", r.notes}};
  // Output is bytes; invalid UTF-8 becomes U+FFFD rather than an error.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatShellErrorJson(const base::Status& status) {
  nlohmann::json j = {{"error", status.ToString()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatShellStatusLine(const ShellResult& r) {
  std::string line = "[longhaul exec] ";
  if (r.timed_out) {
    line += "killed at the timeout";
  } else if (r.output_limit_exceeded) {
    line += "killed: output limit exceeded";
  } else if (r.exited) {
    line += "exit " + std::to_string(r.exit_code);
  } else {
    line += "killed by " + SignalName(r.signal);
  }
  char secs[32];
  std::snprintf(secs, sizeof(secs), " · %.2f s", r.wall_seconds);
  line += secs;
  for (const ShellStream* s : {&r.stdout_stream, &r.stderr_stream}) {
    if (s->dropped_bytes > 0) {
      line += " · " + std::string(s == &r.stdout_stream ? "stdout" : "stderr") + " capped, " +
              std::to_string(s->dropped_bytes) + " bytes omitted";
    }
  }
  std::string active, missing;
  for (const ShellLayer& l : r.layers) {
    if (l.state == "active") active += " " + l.name;
    if (l.state == "unavailable") missing += " " + l.name;
  }
  line += " · confined by:" + active;
  if (!missing.empty()) line += " · UNAVAILABLE:" + missing;
  return line;
}

}  // namespace tools
