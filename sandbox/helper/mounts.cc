// The mount tree: a recursive read-only copy of the host root becomes the
// new root; private tmpfs mounts, the writable repository, read-only
// re-binds (.git, hard-linked files, /proc/sys) and masks go on top.
//
// Sources that live in the host tree (the repository, device nodes, mask
// nodes) are cloned with open_tree() before the pivot, because once the
// old root is detached the kernel refuses to bind from it. Everything
// else is resolved after the pivot, inside the new root, so that a
// symlink planted in the repository resolves to the sandbox's own view.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <string>

#include "sandbox/helper/steps.h"

namespace sandbox::helper {
namespace {

// <linux/mount.h> clashes with <sys/mount.h> on glibc 2.36; the kernel ABI:
struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
constexpr uint64_t kAttrReadOnly = 0x1;
constexpr uint64_t kAttrNoSuid = 0x2;
constexpr uint64_t kAttrNoDev = 0x4;
constexpr uint64_t kAttrNoExec = 0x8;
constexpr unsigned kAtRecursive = 0x8000;
constexpr unsigned kOpenTreeClone = 1;
constexpr unsigned kOpenTreeCloexec = O_CLOEXEC;
constexpr unsigned kMoveMountFromEmptyPath = 0x4;

// Staging area, in this mount namespace only; hidden again by the pivot.
constexpr const char* kStage = "/tmp";
constexpr const char* kStageRoot = "/tmp/root";
constexpr const char* kMaskDir = "/tmp/mask-dir";
constexpr const char* kMaskFile = "/tmp/mask-file";

constexpr const char* kDevNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

base::Status Sys(long rc, const std::string& what) {
  if (rc < 0) return base::ErrnoStatus(what, errno);
  return base::Status::Ok();
}

base::Status SetAttr(int dirfd, const std::string& path, unsigned flags, uint64_t set) {
  MountAttr attr = {set, 0, 0, 0};
  return Sys(::syscall(SYS_mount_setattr, dirfd, path.c_str(), flags, &attr, sizeof(attr)),
             "mount_setattr " + path);
}

// A detached copy of the tree at `path`; -1 with errno on failure.
int CloneTree(const std::string& path, bool recursive) {
  unsigned flags = kOpenTreeClone | kOpenTreeCloexec | (recursive ? kAtRecursive : 0);
  return static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags));
}

base::Status AttachTree(int tree, const std::string& target) {
  base::Status s = Sys(::syscall(SYS_move_mount, tree, "", AT_FDCWD, target.c_str(),
                                 kMoveMountFromEmptyPath),
                       "move_mount onto " + target);
  ::close(tree);
  return s;
}

base::Status MkdirAll(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string prefix = path.substr(0, i);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return base::ErrnoStatus("mkdir " + prefix, errno);
    }
  }
  return base::Status::Ok();
}

base::Status EnsureFile(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) return base::ErrnoStatus("create " + path, errno);
  ::fchmod(fd, mode);  // umask-proof
  ::close(fd);
  return base::Status::Ok();
}

bool Exists(const std::string& path, struct stat* st) { return ::stat(path.c_str(), st) == 0; }

// Trees cloned from the host before the pivot, consumed by the steps.
struct Clones {
  std::map<std::string, int> writable;  // target -> tree
  std::map<std::string, int> dev_nodes; // "null" -> tree
  std::vector<int> mask_dirs;
  std::vector<int> mask_files;
};

// Clones of host paths; must run before the stage hides the host's /tmp.
base::Status CloneHostSources(const LaunchPlan& plan, Clones* clones) {
  for (const MountStep& step : plan.mounts) {
    if (step.kind == MountKind::kBindWritable) {
      int tree = CloneTree(step.target, true);
      if (tree < 0) return base::ErrnoStatus("open_tree " + step.target, errno);
      // Never carry a setuid bit or a device node in from the repository.
      RETURN_IF_ERROR(SetAttr(tree, "", AT_EMPTY_PATH | kAtRecursive, kAttrNoSuid | kAttrNoDev));
      clones->writable[step.target] = tree;
    } else if (step.kind == MountKind::kMinimalDev) {
      for (const char* node : kDevNodes) {
        int tree = CloneTree(std::string("/dev/") + node, false);
        if (tree >= 0) clones->dev_nodes[node] = tree;  // absent nodes are left out
      }
    }
  }
  return base::Status::Ok();
}

// Two inaccessible nodes (mode 000, read-only) per mask step; whichever
// matches the masked path's type is used.
base::Status CloneMaskNodes(const LaunchPlan& plan, Clones* clones) {
  for (const MountStep& step : plan.mounts) {
    if (step.kind != MountKind::kMask) continue;
    for (auto [path, list] : {std::pair{kMaskDir, &clones->mask_dirs},
                              std::pair{kMaskFile, &clones->mask_files}}) {
      int tree = CloneTree(path, false);
      if (tree < 0) return base::ErrnoStatus(std::string("open_tree ") + path, errno);
      RETURN_IF_ERROR(SetAttr(tree, "", AT_EMPTY_PATH,
                              kAttrReadOnly | kAttrNoSuid | kAttrNoDev | kAttrNoExec));
      list->push_back(tree);
    }
  }
  return base::Status::Ok();
}

// Makes the host root a read-only tree and pivots into it.
base::Status PivotIntoReadOnlyRoot() {
  RETURN_IF_ERROR(Sys(::mount("/", kStageRoot, nullptr, MS_BIND | MS_REC, nullptr), "rbind /"));
  RETURN_IF_ERROR(SetAttr(AT_FDCWD, kStageRoot, kAtRecursive, kAttrReadOnly | kAttrNoSuid));
  RETURN_IF_ERROR(Sys(::chdir(kStageRoot), "chdir new root"));
  // pivot_root(".", ".") stacks the old root on the new one; detaching the
  // top of "." then drops the whole host tree from this namespace.
  RETURN_IF_ERROR(Sys(::syscall(SYS_pivot_root, ".", "."), "pivot_root"));
  RETURN_IF_ERROR(Sys(::umount2(".", MNT_DETACH), "detach old root"));
  return Sys(::chdir("/"), "chdir /");
}

base::Status MountTmpfs(const std::string& target, uint64_t size, mode_t mode) {
  std::string data = "mode=" + std::to_string(mode >> 9 & 7) + std::to_string(mode >> 6 & 7) +
                     std::to_string(mode >> 3 & 7) + std::to_string(mode & 7);
  if (size > 0) data += ",size=" + std::to_string(size);
  return Sys(::mount("tmpfs", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()),
             "mount tmpfs on " + target);
}

base::Status BuildDev(const MountStep& step, Clones* clones, std::vector<std::string>* notes) {
  RETURN_IF_ERROR(MountTmpfs("/dev", 1 * 1024 * 1024, 0755));
  for (auto& [node, tree] : clones->dev_nodes) {
    std::string path = "/dev/" + node;
    RETURN_IF_ERROR(EnsureFile(path, 0666));
    RETURN_IF_ERROR(AttachTree(tree, path));
    tree = -1;
  }
  for (auto [link, target] : {std::pair{"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"},
                              {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
                              {"/dev/ptmx", "pts/ptmx"}}) {
    RETURN_IF_ERROR(Sys(::symlink(target, link), std::string("symlink ") + link));
  }
  RETURN_IF_ERROR(Sys(::mkdir("/dev/shm", 01777), "mkdir /dev/shm"));
  RETURN_IF_ERROR(MountTmpfs("/dev/shm", step.size_bytes, 01777));
  RETURN_IF_ERROR(Sys(::mkdir("/dev/pts", 0755), "mkdir /dev/pts"));
  // Terminals are a convenience (python's pty module), not a security
  // layer: a kernel that refuses a private devpts only loses them.
  if (::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620") != 0) {
    notes->push_back(base::ErrnoStatus("no private /dev/pts", errno).message());
  }
  return SetAttr(AT_FDCWD, "/dev", 0, kAttrReadOnly | kAttrNoSuid);
}

base::Status BindReadOnly(const MountStep& step, std::vector<std::string>* notes) {
  struct stat st;
  if (::lstat(step.target.c_str(), &st) != 0) {
    if (step.optional && errno == ENOENT) return base::Status::Ok();
    return base::ErrnoStatus("lstat " + step.target, errno);
  }
  // Resolved inside the new root: a symlinked .git protects what it names.
  char real[PATH_MAX];
  if (::realpath(step.target.c_str(), real) == nullptr) {
    if (step.optional && errno == ENOENT) {
      notes->push_back("dangling symlink not protected: " + step.target);
      return base::Status::Ok();
    }
    return base::ErrnoStatus("realpath " + step.target, errno);
  }
  RETURN_IF_ERROR(Sys(::mount(real, real, nullptr, MS_BIND | MS_REC, nullptr),
                      std::string("bind ") + real));
  return SetAttr(AT_FDCWD, real, kAtRecursive, kAttrReadOnly | kAttrNoSuid | kAttrNoDev);
}

base::Status BindWritable(const MountStep& step, Clones* clones) {
  int tree = clones->writable.at(step.target);
  clones->writable.erase(step.target);
  struct stat st;
  if (::fstat(tree, &st) != 0) return base::ErrnoStatus("fstat " + step.target, errno);
  if (S_ISDIR(st.st_mode)) {
    RETURN_IF_ERROR(MkdirAll(step.target));
  } else {
    RETURN_IF_ERROR(MkdirAll(step.target.substr(0, step.target.rfind('/'))));
    RETURN_IF_ERROR(EnsureFile(step.target, 0644));
  }
  return AttachTree(tree, step.target);
}

base::Status Mask(const MountStep& step, Clones* clones) {
  int dir_tree = clones->mask_dirs.back();
  int file_tree = clones->mask_files.back();
  clones->mask_dirs.pop_back();
  clones->mask_files.pop_back();
  struct stat st;
  char real[PATH_MAX];
  base::Status status;
  if (!Exists(step.target, &st) || ::realpath(step.target.c_str(), real) == nullptr) {
    if (!step.optional) status = base::ErrnoStatus("mask " + step.target, errno);
  } else if (S_ISDIR(st.st_mode)) {
    status = AttachTree(dir_tree, real);
    dir_tree = -1;
  } else {
    status = AttachTree(file_tree, real);
    file_tree = -1;
  }
  if (dir_tree >= 0) ::close(dir_tree);
  if (file_tree >= 0) ::close(file_tree);
  return status;
}

// Through the namespace's own /proc, before /proc/sys is made read-only.
base::Status SetPidMax(const LaunchPlan& plan, std::vector<std::string>* notes) {
  const std::string value = std::to_string(plan.pid_max);
  int fd = ::open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (ok) return base::Status::Ok();
  base::Status status = base::ErrnoStatus("pid_max per pid namespace (Linux 6.14+)", err);
  if (plan.pid_max_required) return status;
  notes->push_back(status.message() + "; RLIMIT_NPROC caps processes");
  return base::Status::Ok();
}

base::Status ApplyStep(const MountStep& step, Clones* clones, std::vector<std::string>* notes) {
  struct stat st;
  switch (step.kind) {
    case MountKind::kReadOnlyRoot:
      return base::Status::Ok();  // done by the pivot
    case MountKind::kTmpfs:
      if (step.optional && !Exists(step.target, &st)) return base::Status::Ok();
      return MountTmpfs(step.target, step.size_bytes, 01777);
    case MountKind::kMinimalDev:
      return BuildDev(step, clones, notes);
    case MountKind::kProc:
      return Sys(::mount("proc", step.target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
                 "mount proc");
    case MountKind::kBindReadOnly:
      return BindReadOnly(step, notes);
    case MountKind::kBindWritable:
      return BindWritable(step, clones);
    case MountKind::kMask:
      return Mask(step, clones);
  }
  return base::Internal("unknown mount kind");
}

}  // namespace

base::Status BuildFilesystem(const LaunchPlan& plan, std::vector<std::string>* notes) {
  if (plan.mounts.empty() || plan.mounts.front().kind != MountKind::kReadOnlyRoot) {
    return base::InvalidArgument("mount plan must start with the read-only root");
  }
  // First, so that nothing below can propagate back to the host.
  RETURN_IF_ERROR(Sys(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make / private"));
  Clones clones;
  RETURN_IF_ERROR(CloneHostSources(plan, &clones));
  RETURN_IF_ERROR(MountTmpfs(kStage, 1024 * 1024, 0700));
  RETURN_IF_ERROR(Sys(::mkdir(kStageRoot, 0755), "mkdir stage root"));
  RETURN_IF_ERROR(Sys(::mkdir(kMaskDir, 0), "mkdir mask dir"));
  RETURN_IF_ERROR(Sys(::chmod(kMaskDir, 0), "chmod mask dir"));
  RETURN_IF_ERROR(EnsureFile(kMaskFile, 0));
  RETURN_IF_ERROR(CloneMaskNodes(plan, &clones));
  RETURN_IF_ERROR(PivotIntoReadOnlyRoot());
  for (const MountStep& step : plan.mounts) {
    RETURN_IF_ERROR(ApplyStep(step, &clones, notes).WithContext(std::string(MountKindName(step.kind))));
    if (step.kind == MountKind::kProc && plan.pid_max > 0) RETURN_IF_ERROR(SetPidMax(plan, notes));
  }
  return base::Status::Ok();
}

}  // namespace sandbox::helper
