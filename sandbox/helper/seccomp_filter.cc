// seccomp: the syscall deny list, compiled by libseccomp.
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <string>

#include "sandbox/helper/steps.h"

namespace sandbox::helper {
namespace {

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr unsigned long kNamespaceCloneFlags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,
                                                  CLONE_NEWNET,  CLONE_NEWIPC, CLONE_NEWUTS,
                                                  CLONE_NEWCGROUP, CLONE_NEWTIME};

class Filter {
 public:
  Filter() : ctx_(seccomp_init(SCMP_ACT_ALLOW)) {}
  ~Filter() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

base::Status Check(int rc, const std::string& what) {
  // libseccomp returns -errno.
  if (rc < 0) return base::ErrnoStatus("seccomp: " + what, -rc);
  return base::Status::Ok();
}

}  // namespace

base::Status ApplySeccomp(const SeccompPlan& plan) {
  if (!plan.enabled) return base::Status::Ok();
  Filter filter;
  if (filter.get() == nullptr) return base::Internal("seccomp_init failed");
  // A syscall made through another ABI (int 0x80 on x86-64) would bypass
  // the native-arch rules; such a process is killed instead.
  RETURN_IF_ERROR(Check(seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                        "bad-arch action"));
  for (const SeccompDeny& deny : plan.deny) {
    int nr = seccomp_syscall_resolve_name(deny.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on this architecture
    RETURN_IF_ERROR(Check(seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(deny.errno_value), nr, 0),
                          "deny " + deny.syscall));
  }
  if (plan.deny_namespace_clone) {
    for (unsigned long flag : kNamespaceCloneFlags) {
      RETURN_IF_ERROR(Check(seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                             SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
                            "clone flags"));
    }
  }
  if (plan.clone3_errno != 0) {
    RETURN_IF_ERROR(Check(seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(plan.clone3_errno),
                                           SCMP_SYS(clone3), 0),
                          "clone3"));
  }
  if (plan.deny_tty_injection) {
    for (unsigned long request : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
      RETURN_IF_ERROR(Check(seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request)),
                            "ioctl"));
    }
  }
  return Check(seccomp_load(filter.get()), "load");
}

}  // namespace sandbox::helper
