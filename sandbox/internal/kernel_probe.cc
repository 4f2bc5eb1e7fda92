// ProbeKernelFeatures: ask the kernel by trying, never by version number;
// distributions patch and sysctl-disable these features independently.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/sandbox.h"

namespace sandbox {
namespace {

enum NamespaceBit : int {
  kUser = 1 << 0,
  kMount = 1 << 1,
  kPid = 1 << 2,
  kNet = 1 << 3,
  kIpc = 1 << 4,
  kUts = 1 << 5,
};

// A throwaway child tries each namespace the way the helper will: a user
// namespace first (so unprivileged users can create the rest), then each
// other one on its own. Its exit code is the bit set of what worked.
int ProbeNamespaces() {
  pid_t pid = ::fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    int bits = 0;
    if (::unshare(CLONE_NEWUSER) == 0) bits |= kUser;
    constexpr std::pair<int, int> kOthers[] = {{CLONE_NEWNS, kMount}, {CLONE_NEWPID, kPid},
                                               {CLONE_NEWNET, kNet},  {CLONE_NEWIPC, kIpc},
                                               {CLONE_NEWUTS, kUts}};
    for (auto [flag, bit] : kOthers) {
      if (::unshare(flag) == 0) bits |= bit;
    }
    ::_exit(bits);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 0;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

KernelFeatures Probe() {
  KernelFeatures f;
  int ns = ProbeNamespaces();
  f.user_namespace = ns & kUser;
  f.mount_namespace = ns & kMount;
  f.pid_namespace = ns & kPid;
  f.net_namespace = ns & kNet;
  f.ipc_namespace = ns & kIpc;
  f.uts_namespace = ns & kUts;
  // An invalid call that fails with EINVAL/EBADF rather than ENOSYS shows
  // the syscall exists.
  f.mount_setattr = ::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) != 0 && errno != ENOSYS;
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1u /* VERSION */);
  f.landlock_abi = abi > 0 ? static_cast<int>(abi) : 0;
  // With filter support compiled in, a NULL filter fails with EFAULT.
  f.seccomp_filter = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, nullptr) != 0 && errno == EFAULT;
  return f;
}

}  // namespace

const KernelFeatures& ProbeKernelFeatures() {
  static const KernelFeatures features = Probe();
  return features;
}

}  // namespace sandbox
