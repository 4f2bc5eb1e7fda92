// run_command: a shell command line, run through the sandbox.
//
// The command is one string given to `/bin/sh -c` (pipes, &&, redirection
// work as in a terminal), run at the repository root. A command that ran
// is a normal result whatever its exit code: is_error stays false and the
// first line of the text states the exit code, because a failing test run
// is information the model asked for, not a failed tool call. is_error is
// set only when the command could not run at all (the sandbox refused, a
// bad argument).
#include <algorithm>
#include <cstdio>
#include <string>

#include "tools/builtin.h"
#include "tools/shell.h"

namespace tools {
namespace {

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f s", s);
  return buf;
}

std::string StatusLine(const ShellResult& r, double timeout) {
  std::string line = "exit code " + std::to_string(r.ShellExitCode());
  if (r.timed_out) {
    line += " (timed out after " + FormatSeconds(timeout) + "; the command and its children were killed)";
  } else if (r.output_limit_exceeded) {
    line += " (killed: it wrote more output than the sandbox allows)";
  } else if (!r.exited) {
    line += " (killed by signal " + std::to_string(r.signal) + ")";
  }
  return line + " · " + FormatSeconds(r.wall_seconds);
}

void AppendStream(std::string& text, const char* name, const ShellStream& s) {
  if (s.total_bytes == 0) return;
  text += std::string("--- ") + name + " (" + std::to_string(s.total_bytes) + " bytes) ---\n";
  text += s.text;
  if (!s.text.empty() && s.text.back() != '\n') text += "\n[no newline at end]\n";
}

class RunCommandTool : public BuiltinTool {
 public:
  std::string name() const override { return "run_command"; }
  std::string description() const override {
    return "Run a shell command line with /bin/sh at the repository root, in a sandbox: the repository is "
           "writable, the rest of the filesystem read-only, /tmp private, no network. Returns the exit code, "
           "stdout and stderr; a nonzero exit code is reported, not treated as a tool failure. Long output is cut "
           "in the middle; read_output shows the rest.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("command", "The shell command line, e.g. \"make -j2 && ./run_tests\".", true)
        .Number("timeout_seconds", "Kill the command after this many seconds (capped by the session's limit).", false)
        .Build();
  }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    const std::string command = args.String("command");
    if (command.find_first_not_of(" \t\r\n") == std::string::npos) return ErrorResult("the command is empty");
    const double limit = context.limits.command_timeout_seconds;
    double timeout = args.Number("timeout_seconds").value_or(limit);
    if (!(timeout > 0)) return ErrorResult("timeout_seconds must be a positive number of seconds");
    timeout = std::min(timeout, limit);

    ShellRequest request;
    request.repo = context.repo_root;
    request.argv = {"/bin/sh", "-c", command};
    request.timeout_seconds = timeout;
    request.allow_network = context.allow_network;
    request.allow_degraded = context.allow_degraded_sandbox;
    request.output_cap_bytes = context.limits.command_output_cap_bytes;
    request.helper_binary = context.helper_binary;
    auto run = RunCommandInSandbox(request);
    if (!run.ok()) {
      const base::StatusCode code = run.status().code();
      if (code == base::StatusCode::kFailedPrecondition || code == base::StatusCode::kInvalidArgument) {
        return ErrorResult("the command did not run: " + run.status().message());
      }
      return run.status();  // the sandbox itself failed: an internal fault
    }
    const ShellResult& r = *run;
    ToolResult result;
    result.text = StatusLine(r, timeout) + "\n";
    if (args.Number("timeout_seconds").value_or(0) > limit) {
      result.text += "[timeout_seconds was capped at the session's limit of " + FormatSeconds(limit) + "]\n";
    }
    AppendStream(result.text, "stdout", r.stdout_stream);
    AppendStream(result.text, "stderr", r.stderr_stream);
    if (r.stdout_stream.total_bytes == 0 && r.stderr_stream.total_bytes == 0) result.text += "(no output)\n";
    result.details = {{"command", command},
                      {"exit_code", r.ShellExitCode()},
                      {"timed_out", r.timed_out},
                      {"signal", r.exited ? 0 : r.signal},
                      {"wall_seconds", r.wall_seconds},
                      {"output_limit_exceeded", r.output_limit_exceeded},
                      {"stdout_bytes", r.stdout_stream.total_bytes},
                      {"stderr_bytes", r.stderr_stream.total_bytes}};
    nlohmann::json missing = nlohmann::json::array();
    for (const ShellLayer& l : r.layers) {
      if (l.state == "unavailable") missing.push_back(l.name);
    }
    result.details["unavailable_layers"] = missing;
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewRunCommandTool() { return std::make_unique<RunCommandTool>(); }

}  // namespace tools
