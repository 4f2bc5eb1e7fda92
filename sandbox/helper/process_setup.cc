// Per-process steps: descriptors, namespaces, identity, network, hostname,
// capabilities and rlimits.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "sandbox/helper/steps.h"

namespace sandbox::helper {
namespace {

base::Status WriteFile(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(std::string("open ") + path, errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return base::ErrnoStatus(std::string("write ") + path, n < 0 ? err : EIO);
  }
  return base::Status::Ok();
}

base::Status CloseRange(unsigned first, unsigned last) {
  if (first > last) return base::Status::Ok();
  if (::syscall(SYS_close_range, first, last, 0) == 0) return base::Status::Ok();
  if (errno != ENOSYS) return base::ErrnoStatus("close_range", errno);
  // Kernels before 5.9: close one by one up to the descriptor limit.
  struct rlimit rl;
  unsigned max = (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                     ? static_cast<unsigned>(rl.rlim_cur)
                     : 65536;
  for (unsigned fd = first; fd <= last && fd < max; ++fd) ::close(static_cast<int>(fd));
  return base::Status::Ok();
}

bool HaveAnyCapability() {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;  // assume the worst
  return (data[0].effective | data[1].effective | data[0].permitted | data[1].permitted) != 0;
}

int LastCapability() {
  int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[16] = {};
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    if (n > 0) return std::atoi(buf);
  }
  return 63;  // PR_CAPBSET_DROP of an unknown capability fails with EINVAL; ignored
}

}  // namespace

base::Status CloseInheritedFds(int keep_fd) {
  if (keep_fd < 3) return CloseRange(3, UINT_MAX);
  RETURN_IF_ERROR(CloseRange(3, static_cast<unsigned>(keep_fd) - 1));
  return CloseRange(static_cast<unsigned>(keep_fd) + 1, UINT_MAX);
}

base::Status UnshareNamespaces(const NamespacePlan& ns) {
  int flags = 0;
  if (ns.user) flags |= CLONE_NEWUSER;
  if (ns.mount) flags |= CLONE_NEWNS;
  if (ns.pid) flags |= CLONE_NEWPID;
  if (ns.net) flags |= CLONE_NEWNET;
  if (ns.ipc) flags |= CLONE_NEWIPC;
  if (ns.uts) flags |= CLONE_NEWUTS;
  if (flags != 0 && ::unshare(flags) != 0) return base::ErrnoStatus("unshare", errno);
  return base::Status::Ok();
}

base::Status WriteIdentityMaps(uid_t uid, gid_t gid) {
  // setgroups must be denied before an unprivileged gid_map write.
  RETURN_IF_ERROR(WriteFile("/proc/self/setgroups", "deny"));
  RETURN_IF_ERROR(WriteFile("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1"));
  return WriteFile("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1");
}

base::Status BringLoopbackUp() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return base::ErrnoStatus("socket", errno);
  struct ifreq req;
  std::memset(&req, 0, sizeof(req));
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  base::Status status;
  if (::ioctl(fd, SIOCGIFFLAGS, &req) != 0) {
    status = base::ErrnoStatus("SIOCGIFFLAGS lo", errno);
  } else {
    req.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(fd, SIOCSIFFLAGS, &req) != 0) status = base::ErrnoStatus("SIOCSIFFLAGS lo", errno);
  }
  ::close(fd);
  return status;
}

base::Status SetHostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) return base::ErrnoStatus("sethostname", errno);
  return base::Status::Ok();
}

base::Status DropCapabilities() {
  const bool had_caps = HaveAnyCapability();
  if (had_caps) {
    // uid 0 (root outside a user namespace, or root mapped into one) would
    // regain the bounding set on execve; NOROOT forbids that, locked.
    if (::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) != 0) {
      return base::ErrnoStatus("PR_SET_SECUREBITS", errno);
    }
    for (int cap = 0; cap <= LastCapability(); ++cap) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
        return base::ErrnoStatus("PR_CAPBSET_DROP", errno);
      }
    }
  }
  // Without capabilities the bounding set cannot be changed, and matters
  // only for setuid/file-capability binaries, which no_new_privs defuses.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return base::ErrnoStatus("PR_CAP_AMBIENT_CLEAR_ALL", errno);
  }
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return base::ErrnoStatus("capset", errno);
  if (HaveAnyCapability()) return base::Internal("capabilities still present after capset");
  return base::Status::Ok();
}

base::Status ApplyRlimits(const std::vector<RlimitSetting>& limits) {
  static constexpr struct {
    const char* name;
    int resource;
  } kResources[] = {{"cpu", RLIMIT_CPU},       {"as", RLIMIT_AS},
                    {"nproc", RLIMIT_NPROC},   {"fsize", RLIMIT_FSIZE},
                    {"nofile", RLIMIT_NOFILE}, {"core", RLIMIT_CORE}};
  for (const RlimitSetting& setting : limits) {
    int resource = -1;
    for (const auto& r : kResources) {
      if (setting.resource == r.name) resource = r.resource;
    }
    if (resource < 0) return base::InvalidArgument("unknown rlimit " + setting.resource);
    struct rlimit current;
    if (::getrlimit(resource, &current) != 0) return base::ErrnoStatus("getrlimit", errno);
    auto convert = [](uint64_t v) { return v == UINT64_MAX ? RLIM_INFINITY : static_cast<rlim_t>(v); };
    struct rlimit wanted = {convert(setting.soft), convert(setting.hard)};
    // A hard limit can only be lowered; never loosen what we were given.
    if (current.rlim_max != RLIM_INFINITY &&
        (wanted.rlim_max == RLIM_INFINITY || wanted.rlim_max > current.rlim_max)) {
      wanted.rlim_max = current.rlim_max;
    }
    if (wanted.rlim_cur == RLIM_INFINITY || wanted.rlim_cur > wanted.rlim_max) {
      wanted.rlim_cur = wanted.rlim_max;
    }
    if (::setrlimit(resource, &wanted) != 0) {
      return base::ErrnoStatus("setrlimit " + setting.resource, errno);
    }
  }
  return base::Status::Ok();
}

}  // namespace sandbox::helper
