// sandbox: run one command confined to a repository.
//
// The flow for one command:
//   1. RunSandboxed probes the kernel (once per process) and scans the
//      repository for hard-linked files: the host facts.
//   2. PlanLaunch turns policy + command + host facts into a LaunchPlan
//      (launch_plan.h). It is pure, and it refuses when a layer the policy
//      requires is unavailable: the sandbox never runs silently unconfined.
//   3. The plan is handed to a helper, the longhaul binary re-executed as
//      `longhaul __sandbox-exec --plan-fd 4 -- CMD...`, which unshares the
//      namespaces, builds the mount tree, applies rlimits, Landlock,
//      capability drop and seccomp, then execs the command. The helper
//      confirms what it applied on a report pipe.
//   4. The caller captures stdout/stderr (capped), enforces the wall-clock
//      timeout on the whole process group, and returns an ExecResult that
//      lists every layer and its state.
//
// SpawnSandboxed does steps 1-3 the same way for a long-lived process
// whose stdin and stdout the caller keeps (see SandboxedProcess).
//
// Threading: every function here is safe to call from several threads at
// once; RunSandboxed blocks its caller until the command is gone.
// SandboxedProcess states its own contract.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/launch_plan.h"

namespace sandbox {

// What the running kernel lets this process do.
struct KernelFeatures {
  bool user_namespace = false;
  bool mount_namespace = false;
  bool pid_namespace = false;
  bool net_namespace = false;
  bool ipc_namespace = false;
  bool uts_namespace = false;
  bool mount_setattr = false;  // recursive read-only remount (Linux 5.12+)
  int landlock_abi = 0;        // 0: Landlock absent or not enabled at boot
  bool seccomp_filter = false;
};

// Probes by trying (a throwaway child unshares each namespace; Landlock is
// asked for its ABI version). Computed once per process, then cached.
const KernelFeatures& ProbeKernelFeatures();

inline constexpr uint64_t kMiB = 1024ull * 1024;
inline constexpr uint64_t kGiB = 1024ull * kMiB;

struct Limits {
  double timeout_seconds = 300;        // wall clock; kills the process group
  uint64_t cpu_seconds = 600;          // per process (RLIMIT_CPU)
  uint64_t address_space_bytes = 16 * kGiB;  // RLIMIT_AS; 0 = unlimited
  uint64_t max_processes = 1024;       // RLIMIT_NPROC, counted per sandbox
  uint64_t max_file_bytes = 4 * kGiB;  // RLIMIT_FSIZE
  uint64_t max_open_files = 4096;      // RLIMIT_NOFILE
  uint64_t tmp_size_bytes = 1 * kGiB;  // each private tmpfs
  // Bytes kept per stream (half the head, half the tail); the rest is
  // counted, not stored.
  uint64_t output_cap_bytes = 1 * kMiB;
  // Total output after which the command is killed instead of drained.
  uint64_t output_kill_bytes = 512 * kMiB;
};

struct Policy {
  std::string repo_root;  // absolute and canonical; writable inside
  bool protect_git_dir = true;  // <repo>/.git read-only inside
  std::vector<std::string> extra_writable;  // absolute host paths
  std::vector<std::string> deny_paths;      // hidden; reads fail with EACCES
  bool allow_network = false;
  Limits limits;
  // Environment names passed through ("LC_*" matches a prefix).
  std::vector<std::string> env_allow;
  // "NAME=value" always set inside, overriding the caller's.
  std::vector<std::string> env_set;
  // Layers without which the run is refused (see LayerState).
  std::vector<Layer> required_layers;
  // At most this many hard-linked repo files are made read-only; more
  // leaves kHardlinkGuard unavailable.
  uint64_t max_hardlink_guards = 4096;
};

// The defaults of DESIGN.md section 6: every layer required, secrets under
// `home_dir` denied, no network. `repo_root` must already be canonical.
Policy DefaultPolicy(const std::string& repo_root, const std::string& home_dir);

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in the sandbox PATH
  std::string cwd;                // absolute; empty means the repo root
  // The caller's environment ("NAME=value"), filtered by Policy::env_allow.
  std::vector<std::string> inherited_env;
};

// Facts about the host that the planner needs but must not look up itself.
struct HostFacts {
  KernelFeatures kernel;
  // Regular files under the repo (outside .git) with more than one link:
  // their other names may lie outside the repo.
  std::vector<std::string> hardlinked_files;
  bool hardlink_scan_complete = true;
  // The command will run as uid 0 of the host (root maps to itself), which
  // the kernel exempts from RLIMIT_NPROC.
  bool root_identity = false;
};

// Pure: the same inputs always give the same plan. Errors: kInvalidArgument
// for a malformed policy or command, kFailedPrecondition when a required
// layer is unavailable (the message names each one and why).
base::Result<LaunchPlan> PlanLaunch(const Policy& policy, const CommandSpec& command,
                                    const HostFacts& host);

// Output of one stream, bounded by Limits::output_cap_bytes.
struct CapturedOutput {
  std::string head;             // the first bytes
  std::string tail;             // the last bytes (after a gap, if any)
  uint64_t total_bytes = 0;     // everything the command wrote
  uint64_t dropped_bytes() const { return total_bytes - head.size() - tail.size(); }
  // head, then "\n[... N bytes omitted ...]\n" when something was dropped,
  // then tail.
  std::string Text() const;
};

enum class Termination {
  kExited,    // exit_code is valid
  kSignaled,  // signal is valid (SIGKILL after a timeout or output kill)
};

struct ExecResult {
  Termination termination = Termination::kExited;
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;              // killed at Limits::timeout_seconds
  bool output_limit_exceeded = false;  // killed at Limits::output_kill_bytes
  CapturedOutput stdout_output;
  CapturedOutput stderr_output;
  std::vector<LayerStatus> layers;     // as planned and confirmed by the helper
  std::vector<std::string> notes;      // the helper's remarks (skipped extras)
  double wall_seconds = 0;
};

struct ExecOptions {
  // The longhaul binary to re-execute as the helper; empty means
  // /proc/self/exe (right inside `longhaul`, wrong inside a test binary).
  std::string helper_binary;
  // Test seam: plan as if the kernel offered only these features.
  std::optional<KernelFeatures> kernel_override;
  // RunSandboxed only: the command's standard input, given whole (it reads
  // like a file, then end of file). Empty: /dev/null.
  std::string stdin_data;
};

// Runs one command. A command that ran (whatever its exit) is an
// ExecResult; an error Status means it never started: bad input, a
// required layer missing, or the helper failing to set up confinement.
base::Result<ExecResult> RunSandboxed(const Policy& policy, const CommandSpec& command,
                                      const ExecOptions& options);

// How a process ended.
struct ProcessExit {
  Termination termination = Termination::kExited;
  int exit_code = 0;  // kExited
  int signal = 0;     // kSignaled
  // "exit code 3", "killed by signal 9 (SIGKILL)".
  std::string Describe() const;
};

// A confined process that keeps running while the caller talks to it over
// its standard input and output: a server spoken to over stdio (the MCP
// plugins of tools/). Made by SpawnSandboxed.
//
// Confinement is exactly RunSandboxed's (same planner, same helper, same
// refusal when a required layer is missing). Of Policy::limits, the
// wall-clock `timeout_seconds` bounds only the setup (until the command
// execs): a server lives until it exits, Kill() or destruction, and the
// caller puts deadlines on each exchange. `output_cap_bytes` caps what is
// kept of stderr, which is drained all along so a chatty server never
// blocks on it; the rest of Limits apply as usual.
//
// Threading: stdin_fd() and stdout_fd() are the caller's to use from one
// thread at a time. Every method is safe to call from any thread, also
// while another thread reads or writes the descriptors (Kill() then makes
// those reads see end of file). A background thread drains stderr; the
// destructor stops it. The process does not die with the thread that
// spawned it (spawns go through one internal thread that lives as long as
// the process), only with the process.
class SandboxedProcess {
 public:
  struct State;  // defined in spawn.cc
  explicit SandboxedProcess(std::unique_ptr<State> state);
  SandboxedProcess(const SandboxedProcess&) = delete;
  SandboxedProcess& operator=(const SandboxedProcess&) = delete;
  // Kills the process group (if still there) and reaps it.
  ~SandboxedProcess();

  pid_t pid() const;
  // The write end of the command's stdin, O_NONBLOCK: wait for POLLOUT,
  // and expect EPIPE (with SIGPIPE raised in the writing thread) once the
  // command is gone. -1 after CloseStdin().
  int stdin_fd() const;
  // The read end of the command's stdout, O_NONBLOCK.
  int stdout_fd() const;
  // Sends end of file to the command's stdin.
  void CloseStdin();

  // The exit status once the process has exited, without blocking. The
  // process stays unreaped (its pid and group id stay ours) until the
  // destructor.
  std::optional<ProcessExit> TryWait();
  // Blocks up to `timeout_seconds` for the exit; nullopt if still running.
  std::optional<ProcessExit> Wait(double timeout_seconds);
  // SIGKILL to the whole process group. Idempotent.
  void Kill();

  // What the command wrote to stderr so far (head and tail, capped).
  CapturedOutput StderrOutput() const;
  const std::vector<LayerStatus>& layers() const;  // as planned and confirmed
  const std::vector<std::string>& notes() const;   // the helper's remarks

 private:
  std::unique_ptr<State> state_;
};

// Starts one command confined and returns once the helper has confirmed
// the confinement (the command is about to exec). Errors as RunSandboxed:
// kInvalidArgument, kFailedPrecondition (a required layer is missing, or
// setting up failed), kDeadlineExceeded (setup took longer than
// Limits::timeout_seconds), kInternal. A command that cannot be executed
// (not found) starts and then exits 127 with the reason on stderr.
base::Result<std::unique_ptr<SandboxedProcess>> SpawnSandboxed(const Policy& policy,
                                                               const CommandSpec& command,
                                                               const ExecOptions& options);

// Entry point of `longhaul __sandbox-exec --plan-fd N [--report-fd N]
// [--parent-pid N] -- CMD...` (or `--plan JSON` instead of --plan-fd).
// argv[1] is "__sandbox-exec". Returns only on a usage error; otherwise it
// becomes the command or exits with its status. It dies with its parent.
int RunSandboxExecHelper(int argc, char** argv);

}  // namespace sandbox
