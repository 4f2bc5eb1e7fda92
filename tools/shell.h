// Shell commands through the sandbox, for the agent and `longhaul exec`.
//
// This header is what agent/ sees of sandbox/: plain request and result
// types, no sandbox internals. RunCommandInSandbox applies the default
// policy of DESIGN.md section 6 (repository writable except .git, the rest
// read-only, secrets hidden, private /tmp, no network, every layer
// required unless allow_degraded).
//
// Threading: all functions are safe to call concurrently; each run blocks
// its caller until the command is gone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace tools {

// `longhaul __sandbox-exec ...`: the re-executed helper that confines and
// then becomes the command. main() calls this before parsing flags.
int SandboxExecMain(int argc, char** argv);

struct ShellRequest {
  std::string repo;               // the writable repository (made canonical)
  std::vector<std::string> argv;  // argv[0] looked up in the sandbox PATH
  std::string cwd;                // empty: the repository root
  double timeout_seconds = 120;
  bool allow_network = false;
  // Run with whatever layers the kernel offers (they are still reported).
  bool allow_degraded = false;
  uint64_t output_cap_bytes = 1024 * 1024;  // kept per stream, head + tail
  std::string helper_binary;  // the longhaul binary; empty: this process's
};

struct ShellStream {
  std::string text;  // head + "[... N bytes omitted ...]" + tail
  uint64_t total_bytes = 0;
  uint64_t dropped_bytes = 0;
};

struct ShellLayer {
  std::string name;   // "user_ns", "landlock_fs", "seccomp", ...
  std::string state;  // "active", "not_needed", "unavailable"
  bool required = false;
  std::string detail;
};

struct ShellResult {
  std::vector<std::string> argv;
  bool exited = true;  // false: killed by `signal`
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  bool output_limit_exceeded = false;
  ShellStream stdout_stream;
  ShellStream stderr_stream;
  std::vector<ShellLayer> layers;
  std::vector<std::string> notes;  // the sandbox's remarks on this run
  double wall_seconds = 0;

  // What a shell would report: the exit code, 124 after a timeout (as
  // timeout(1)), else 128 + signal.
  int ShellExitCode() const;
};

// Errors: kInvalidArgument (bad repo or command), kFailedPrecondition (a
// required layer is missing or confinement could not be set up). A
// command that ran and failed is not an error.
base::Result<ShellResult> RunCommandInSandbox(const ShellRequest& request);

// One JSON object (one line) describing the result.
std::string FormatShellResultJson(const ShellResult& result);
// {"error": "..."} for a command that never ran.
std::string FormatShellErrorJson(const base::Status& status);
// "[longhaul exec] exit 0 · 0.05 s · confined by: user_ns mount_ns ..."
std::string FormatShellStatusLine(const ShellResult& result);

}  // namespace tools
