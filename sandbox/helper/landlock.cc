// Landlock: kernel-enforced path rules that hold even if the mount tree
// were wrong, and TCP/signal scoping. Structures follow the kernel ABI;
// the installed <linux/landlock.h> may be older than the running kernel.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "sandbox/helper/steps.h"

namespace sandbox::helper {
namespace {

struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

constexpr unsigned kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

base::Status ApplyLandlock(const LandlockPlan& plan, std::vector<std::string>* notes) {
  if (plan.abi <= 0) return base::Status::Ok();
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  if (abi < plan.abi) {
    return base::FailedPrecondition("landlock: kernel ABI " + std::to_string(abi) +
                             " is below the planned ABI " + std::to_string(plan.abi));
  }
  RulesetAttr attr = {plan.handled_fs, plan.handled_net, plan.scoped};
  // Older kernels reject a larger struct only when the extra fields are
  // non-zero, but passing the exact size keeps the intent visible.
  size_t size = plan.abi >= 6 ? sizeof(RulesetAttr) : plan.abi >= 4 ? 16 : 8;
  Fd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
  if (ruleset.get() < 0) return base::ErrnoStatus("landlock_create_ruleset", errno);

  for (const LandlockRule& rule : plan.rules) {
    Fd path(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
    if (path.get() < 0) {
      if (rule.optional && errno == ENOENT) continue;
      return base::ErrnoStatus("landlock: open " + rule.path, errno);
    }
    struct stat st;
    if (::fstat(path.get(), &st) != 0) return base::ErrnoStatus("landlock: fstat " + rule.path, errno);
    uint64_t access = rule.access & plan.handled_fs;
    if (!S_ISDIR(st.st_mode)) access &= landlock::kFileRights;
    if (access == 0) continue;
    PathBeneathAttr beneath = {access, path.get()};
    if (::syscall(SYS_landlock_add_rule, ruleset.get(), kRulePathBeneath, &beneath, 0) != 0) {
      return base::ErrnoStatus("landlock_add_rule " + rule.path, errno);
    }
  }
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    return base::ErrnoStatus("landlock_restrict_self", errno);
  }
  notes->push_back("landlock ABI " + std::to_string(abi) + " enforced (planned " +
                   std::to_string(plan.abi) + ")");
  return base::Status::Ok();
}

}  // namespace sandbox::helper
