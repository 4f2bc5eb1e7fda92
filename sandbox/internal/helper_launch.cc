#include "sandbox/internal/helper_launch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <exception>
#include <nlohmann/json.hpp>

#include "sandbox/internal/repo_scan.h"

namespace sandbox::internal {
namespace {

constexpr uint64_t kHardlinkScanLimit = 200000;

base::Status CheckCanonical(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return base::ErrnoStatus("sandbox: " + path, errno);
  if (path != real) {
    return base::InvalidArgument("sandbox: path '" + path + "' is not canonical (it resolves to '" +
                                 std::string(real) + "')");
  }
  return base::Status::Ok();
}

HelperReport ParseReportLines(const std::string& text) {
  HelperReport report;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    nlohmann::json j = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!j.is_object() || !j.contains("event") || !j["event"].is_string()) continue;
    std::string event = j["event"];
    if (event == "setup_error" && report.setup_error.empty()) {
      report.setup_error = j.value("stage", "") + ": " + j.value("message", "");
    } else if (event == "applied") {
      report.applied = true;
      if (j.contains("notes") && j["notes"].is_array()) {
        for (const auto& n : j["notes"]) {
          if (n.is_string()) report.notes.push_back(n.get<std::string>());
        }
      }
    }
  }
  return report;
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

base::Result<UniqueFd> HighFd(int fd) {
  if (fd < 0) return base::ErrnoStatus("sandbox: open descriptor", errno);
  UniqueFd owned(fd);
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high < 0) return base::ErrnoStatus("fcntl F_DUPFD_CLOEXEC", errno);
  return UniqueFd(high);
}

base::Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return base::ErrnoStatus("pipe2", errno);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  Pipe p;
  ASSIGN_OR_RETURN(p.read, HighFd(read_end.release()));
  ASSIGN_OR_RETURN(p.write, HighFd(write_end.release()));
  return p;
}

base::Result<UniqueFd> DataMemfd(const char* name, const std::string& data) {
  int fd = static_cast<int>(::syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd < 0) return base::ErrnoStatus("memfd_create", errno);
  UniqueFd owned(fd);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return base::ErrnoStatus(std::string("write ") + name, errno);
    done += static_cast<size_t>(n);
  }
  // Sealed: a command given this as stdin cannot write to it (and so
  // cannot grow it into host memory).
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
    return base::ErrnoStatus(std::string("seal ") + name, errno);
  }
  // The helper reads its plan with pread, but a command reading stdin
  // starts wherever the shared offset is.
  if (::lseek(fd, 0, SEEK_SET) != 0) return base::ErrnoStatus(std::string("lseek ") + name, errno);
  return HighFd(owned.release());
}

base::Result<LaunchPlan> PlanForHost(const Policy& policy, const CommandSpec& command,
                                     const ExecOptions& options) {
  RETURN_IF_ERROR(CheckCanonical(policy.repo_root));
  for (const std::string& p : policy.extra_writable) RETURN_IF_ERROR(CheckCanonical(p));
  HostFacts host;
  host.kernel = options.kernel_override ? *options.kernel_override : ProbeKernelFeatures();
  HardlinkScan scan = ScanHardlinks(policy.repo_root, kHardlinkScanLimit);
  host.hardlinked_files = std::move(scan.files);
  host.hardlink_scan_complete = scan.complete;
  host.root_identity = ::getuid() == 0;
  return PlanLaunch(policy, command, host);
}

base::Result<std::string> HelperPath(const ExecOptions& options) {
  if (!options.helper_binary.empty()) return options.helper_binary;
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return base::ErrnoStatus("readlink /proc/self/exe", errno);
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> HelperArgs(const LaunchPlan& plan) {
  std::vector<std::string> args = {"__sandbox-exec", "--plan-fd", std::to_string(kPlanFd),
                                   "--report-fd", std::to_string(kReportFd),
                                   "--parent-pid", std::to_string(::getpid()), "--"};
  args.insert(args.end(), plan.argv.begin(), plan.argv.end());
  return args;
}

HelperReport ParseHelperReport(const std::string& text) {
  try {
    return ParseReportLines(text);
  } catch (const std::exception& e) {
    // Only our helper writes the report; garbage there is a helper bug.
    HelperReport report;
    report.setup_error = std::string("report: unreadable: ") + e.what();
    return report;
  }
}

}  // namespace sandbox::internal
