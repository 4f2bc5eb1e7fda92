#include "tools/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace tools {
namespace {

// Closes the descriptor on every return path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

base::Status WriteAll(int fd, const std::string& content, const std::string& what) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(what, errno);
    }
    done += static_cast<size_t>(n);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return base::ErrnoStatus(path, errno);
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return base::ErrnoStatus(path, errno);
  if (S_ISDIR(st.st_mode)) return base::FailedPrecondition("is a directory");
  if (!S_ISREG(st.st_mode)) return base::FailedPrecondition("is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return base::ResourceExhausted(std::to_string(st.st_size) + " bytes, over the read limit of " +
                                   std::to_string(max_bytes) + " bytes");
  }
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::read(f.fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(path, errno);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    // The file may have grown since fstat.
    if (data.size() > max_bytes) {
      return base::ResourceExhausted("over the read limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
  return data;
}

base::Status AtomicWriteFile(const std::string& path, const std::string& content) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  // O_EXCL with a fresh name rather than mkstemp: the kernel then applies
  // the umask to 0644 for a new file, without touching the process-wide
  // umask (which other threads may depend on).
  static std::atomic<uint64_t> counter{0};
  Fd f;
  std::string tmp;
  for (int attempt = 0; f.fd < 0; ++attempt) {
    tmp = dir + "/." + name + ".longhaul-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f.fd < 0 && (errno != EEXIST || attempt > 100)) {
      return base::ErrnoStatus("create a temporary file in " + dir, errno);
    }
  }
  auto fail = [&](base::Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && ::fchmod(f.fd, st.st_mode & 07777) != 0) {
    return fail(base::ErrnoStatus("chmod " + tmp, errno));
  }
  base::Status written = WriteAll(f.fd, content, "write " + path);
  if (!written.ok()) return fail(written);
  if (::fsync(f.fd) != 0) return fail(base::ErrnoStatus("fsync " + tmp, errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(base::ErrnoStatus("rename onto " + path, errno));
  return base::Status::Ok();
}

}  // namespace tools
