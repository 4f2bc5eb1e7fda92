// LaunchPlan: everything the sandbox helper will do to confine one command,
// written down as data before any process exists.
//
// PlanLaunch (sandbox.h) computes it as a pure function of the policy, the
// command and the host facts; the helper (`longhaul __sandbox-exec`) applies
// it step by step and never decides anything on its own. Keeping the
// decisions in data is what lets the planner be unit-tested without
// spawning, and lets a run report exactly which layers confined it.
//
// Threading: plain values, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox {

// The independent confinement layers. Each one is reported on every run.
enum class Layer {
  kUserNamespace,       // unprivileged identity mapping; caps only inside
  kMountNamespace,      // read-only root, private /tmp, writable repo, masks
  kPidNamespace,        // host processes invisible; teardown kills all
  kNetNamespace,        // only a private loopback
  kIpcNamespace,
  kUtsNamespace,
  kLandlockFilesystem,  // kernel-enforced path rules, independent of mounts
  kLandlockNetwork,     // TCP bind/connect denied when no net namespace
  kLandlockScopes,      // no signals / abstract sockets outside the sandbox
  kSeccomp,             // syscall deny list (ptrace, mount, bpf, ...)
  kCapabilities,        // every capability dropped, no_new_privs set
  kRlimits,             // CPU, address space, processes, file size
  kProcessLimit,        // a hard cap on live processes (fork bombs)
  kEnvironment,         // environment scrubbed to an allow-list
  kHardlinkGuard,       // hard-linked repo files made read-only
};

inline constexpr Layer kAllLayers[] = {
    Layer::kUserNamespace,       Layer::kMountNamespace,  Layer::kPidNamespace,
    Layer::kNetNamespace,        Layer::kIpcNamespace,    Layer::kUtsNamespace,
    Layer::kLandlockFilesystem,  Layer::kLandlockNetwork, Layer::kLandlockScopes,
    Layer::kSeccomp,             Layer::kCapabilities,    Layer::kRlimits,
    Layer::kProcessLimit,        Layer::kEnvironment,     Layer::kHardlinkGuard,
};

// "user_ns", "mount_ns", ..., "landlock_fs", "seccomp", ...
std::string_view LayerName(Layer layer);
std::optional<Layer> ParseLayerName(std::string_view name);

enum class LayerState {
  kActive,       // applied to this run
  kNotNeeded,    // deliberately off: the policy or another layer covers it
  kUnavailable,  // the kernel lacks it; `detail` says why
};
std::string_view LayerStateName(LayerState state);

struct LayerStatus {
  Layer layer = Layer::kUserNamespace;
  LayerState state = LayerState::kUnavailable;
  bool required = false;  // the policy refuses to run without it
  std::string detail;     // human-readable reason or parameters
};

struct NamespacePlan {
  bool user = false;
  bool mount = false;
  bool pid = false;
  bool net = false;
  bool ipc = false;
  bool uts = false;
};

enum class MountKind {
  kReadOnlyRoot,   // the host tree, recursively read-only and nosuid
  kTmpfs,          // a fresh private tmpfs at `target`
  kBindWritable,   // host `target` bound writable at the same path
  kBindReadOnly,   // `target` (as seen inside) re-bound read-only on itself
  kMask,           // `target` hidden behind an inaccessible empty node
  kProc,           // a proc for the new pid namespace
  kMinimalDev,     // a tmpfs /dev with only the harmless device nodes
};
std::string_view MountKindName(MountKind kind);
std::optional<MountKind> ParseMountKind(std::string_view name);

struct MountStep {
  MountKind kind = MountKind::kTmpfs;
  std::string target;
  uint64_t size_bytes = 0;  // kTmpfs only; 0 = kernel default
  bool optional = false;    // skipped when the target does not exist
};

// Landlock access bits, as in <linux/landlock.h>; kept here because the
// installed headers may predate the running kernel's ABI.
namespace landlock {
inline constexpr uint64_t kExecute = 1ull << 0;
inline constexpr uint64_t kWriteFile = 1ull << 1;
inline constexpr uint64_t kReadFile = 1ull << 2;
inline constexpr uint64_t kReadDir = 1ull << 3;
inline constexpr uint64_t kRemoveDir = 1ull << 4;
inline constexpr uint64_t kRemoveFile = 1ull << 5;
inline constexpr uint64_t kMakeChar = 1ull << 6;
inline constexpr uint64_t kMakeDir = 1ull << 7;
inline constexpr uint64_t kMakeReg = 1ull << 8;
inline constexpr uint64_t kMakeSock = 1ull << 9;
inline constexpr uint64_t kMakeFifo = 1ull << 10;
inline constexpr uint64_t kMakeBlock = 1ull << 11;
inline constexpr uint64_t kMakeSym = 1ull << 12;
inline constexpr uint64_t kRefer = 1ull << 13;     // ABI 2
inline constexpr uint64_t kTruncate = 1ull << 14;  // ABI 3
inline constexpr uint64_t kIoctlDev = 1ull << 15;  // ABI 5
// Rights that make sense on a non-directory.
inline constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
inline constexpr uint64_t kNetBindTcp = 1ull << 0;    // ABI 4
inline constexpr uint64_t kNetConnectTcp = 1ull << 1; // ABI 4
inline constexpr uint64_t kScopeAbstractUnixSocket = 1ull << 0;  // ABI 6
inline constexpr uint64_t kScopeSignal = 1ull << 1;              // ABI 6
// Every filesystem right the given ABI version knows.
uint64_t FilesystemRightsForAbi(int abi);
}  // namespace landlock

struct LandlockRule {
  std::string path;     // as seen inside the sandbox
  uint64_t access = 0;  // landlock::k* bits allowed beneath `path`
  bool optional = true; // skipped when the path does not exist
};

struct LandlockPlan {
  int abi = 0;  // 0: not applied
  uint64_t handled_fs = 0;
  uint64_t handled_net = 0;
  uint64_t scoped = 0;
  std::vector<LandlockRule> rules;
};

struct SeccompDeny {
  std::string syscall;  // name as libseccomp knows it
  int errno_value = 0;
};

struct SeccompPlan {
  bool enabled = false;
  std::vector<SeccompDeny> deny;
  // clone(2) with any CLONE_NEW* flag fails with EPERM, like unshare.
  bool deny_namespace_clone = false;
  // clone3 takes its flags in memory seccomp cannot read, so it is refused
  // with ENOSYS and libc falls back to clone(2), which is filtered.
  int clone3_errno = 0;
  // ioctl(TIOCSTI/TIOCLINUX) would push keystrokes into a terminal.
  bool deny_tty_injection = false;
};

struct RlimitSetting {
  std::string resource;  // "cpu", "as", "nproc", "fsize", "nofile", "core"
  uint64_t soft = 0;
  uint64_t hard = 0;     // UINT64_MAX = unlimited
};

struct LaunchPlan {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value", exactly what the command sees
  std::string cwd;               // inside the sandbox
  NamespacePlan namespaces;
  std::string hostname;          // set when the uts namespace is new
  bool loopback_up = false;      // private loopback in the new net namespace
  std::vector<MountStep> mounts; // applied in order
  LandlockPlan landlock;
  SeccompPlan seccomp;
  std::vector<RlimitSetting> rlimits;
  // The pid namespace's own pid_max (Linux 6.14+), written by its init:
  // RLIMIT_NPROC never binds uid 0, so for root this is the process cap.
  // 0: not set. `pid_max_required`: failing to set it fails the run.
  uint64_t pid_max = 0;
  bool pid_max_required = false;
  bool drop_capabilities = true;
  bool no_new_privs = true;
  std::vector<LayerStatus> layers;  // one per kAllLayers entry, in order
};

}  // namespace sandbox
