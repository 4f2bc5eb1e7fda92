// The mount tree, Landlock rules and seccomp profile of a plan. Pure.
#include <cerrno>
#include <string>

#include "sandbox/internal/plan_parts.h"

namespace sandbox::internal {
namespace {

bool IsBeneath(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// Kernel files that stay writable for a uid-0 process even without
// capabilities (sysctls, sysrq); a fresh proc mount would expose them.
constexpr const char* kProcReadOnly[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
                                         "/proc/bus", "/proc/fs", "/proc/acpi"};

constexpr const char* kDeviceNodes[] = {"/dev/null", "/dev/zero", "/dev/full",
                                        "/dev/random", "/dev/urandom", "/dev/tty"};

// Syscalls no build, test or script needs, and each a known way out of a
// sandbox: tracing, mounting, new namespaces, kernel code and keys,
// io_uring (bypasses the syscall filter), clock and reboot.
constexpr const char* kDeniedSyscalls[] = {
    "ptrace",         "process_vm_readv", "process_vm_writev", "mount",
    "umount2",        "mount_setattr",    "move_mount",        "open_tree",
    "fsopen",         "fsconfig",         "fsmount",           "fspick",
    "pivot_root",     "chroot",           "unshare",           "setns",
    "kexec_load",     "kexec_file_load",  "bpf",               "keyctl",
    "add_key",        "request_key",      "perf_event_open",   "init_module",
    "finit_module",   "delete_module",    "userfaultfd",       "open_by_handle_at",
    "io_uring_setup", "io_uring_enter",   "io_uring_register", "swapon",
    "swapoff",        "reboot",           "syslog",            "acct",
    "quotactl",       "settimeofday",     "clock_settime",     "iopl",
    "ioperm",         "lookup_dcookie",   "vhangup",           "uselib",
};

}  // namespace

std::vector<MountStep> PlanMounts(const Policy& policy, const HostFacts& host,
                                  const MountChoice& choice) {
  const Limits& limits = policy.limits;
  std::vector<MountStep> m;
  m.push_back({MountKind::kReadOnlyRoot, "/", 0, false});
  m.push_back({MountKind::kTmpfs, "/tmp", limits.tmp_size_bytes, false});
  m.push_back({MountKind::kTmpfs, "/var/tmp", limits.tmp_size_bytes, true});
  // /run holds the host's sockets (docker, dbus, resolved); connecting to a
  // socket needs no write access to a read-only mount, so hide them all.
  m.push_back({MountKind::kTmpfs, "/run", 64 * kMiB, true});
  m.push_back({MountKind::kMinimalDev, "/dev", limits.tmp_size_bytes, false});  // size: /dev/shm
  // A proc instance belongs to a pid namespace; without a new one the
  // host's proc stays, read-only like the rest of the root.
  if (choice.new_proc) m.push_back({MountKind::kProc, "/proc", 0, false});
  for (const char* p : kProcReadOnly) m.push_back({MountKind::kBindReadOnly, p, 0, true});
  m.push_back({MountKind::kBindWritable, policy.repo_root, 0, false});
  for (const std::string& p : policy.extra_writable) {
    m.push_back({MountKind::kBindWritable, p, 0, false});
  }
  if (policy.protect_git_dir) {
    m.push_back({MountKind::kBindReadOnly, policy.repo_root + "/.git", 0, true});
  }
  if (choice.guard_hardlinks) {
    for (const std::string& f : host.hardlinked_files) {
      if (IsBeneath(f, policy.repo_root)) m.push_back({MountKind::kBindReadOnly, f, 0, true});
    }
  }
  // Masks go last so that a secret inside a writable tree is hidden too.
  for (const std::string& p : policy.deny_paths) m.push_back({MountKind::kMask, p, 0, true});
  return m;
}

LandlockPlan PlanLandlock(const Policy& policy, const LandlockChoice& choice) {
  using namespace landlock;
  LandlockPlan plan;
  plan.abi = choice.abi;
  const uint64_t fs = FilesystemRightsForAbi(choice.abi);
  plan.handled_fs = fs;
  const uint64_t read = kExecute | kReadFile | kReadDir;
  // Everything but device creation, which needs capabilities anyway.
  const uint64_t write_tree = fs & ~(kMakeChar | kMakeBlock);
  const uint64_t device = fs & (kReadFile | kWriteFile | kTruncate | kIoctlDev);

  plan.rules.push_back({"/", read, false});
  plan.rules.push_back({policy.repo_root, write_tree, false});
  for (const std::string& p : policy.extra_writable) plan.rules.push_back({p, write_tree, false});
  if (choice.private_tmp) {
    // These are the sandbox's own tmpfs mounts, not the host's.
    for (const char* p : {"/tmp", "/var/tmp", "/run", "/dev/shm"}) {
      plan.rules.push_back({p, write_tree, true});
    }
    plan.rules.push_back({"/dev/pts", device | kReadDir, true});
  }
  for (const char* p : kDeviceNodes) plan.rules.push_back({p, device, true});
  if (choice.restrict_tcp) plan.handled_net = kNetBindTcp | kNetConnectTcp;
  if (choice.scopes) plan.scoped = kScopeAbstractUnixSocket | kScopeSignal;
  return plan;
}

SeccompPlan PlanSeccomp() {
  SeccompPlan plan;
  plan.enabled = true;
  for (const char* name : kDeniedSyscalls) plan.deny.push_back({name, EPERM});
  plan.deny_namespace_clone = true;
  plan.clone3_errno = ENOSYS;
  plan.deny_tty_injection = true;
  return plan;
}

}  // namespace sandbox::internal
