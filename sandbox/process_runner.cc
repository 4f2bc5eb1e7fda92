// RunSandboxed: plan, spawn the helper through Boost.Process, capture its
// output asynchronously with bounded memory, enforce the wall-clock
// timeout and the output kill threshold, and report the result.
//
// This is the only file that includes Boost.Process (it is expensive to
// compile). Boost reports failures by throwing; nothing escapes this file.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Boost 1.74's asio uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sandbox/internal/output_capture.h"
#include "sandbox/internal/plan_json.h"
#include "sandbox/internal/repo_scan.h"
#include "sandbox/sandbox.h"

namespace sandbox {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

// Descriptor numbers the helper finds its plan and report pipe on.
constexpr int kReportFd = 3;
constexpr int kPlanFd = 4;
constexpr uint64_t kReportCap = 1 * kMiB;
constexpr uint64_t kHardlinkScanLimit = 200000;
// After the helper exits, how long stray writers (possible only without a
// pid namespace) may keep the pipes open before they are killed.
constexpr auto kDrainGrace = std::chrono::milliseconds(500);

// Owns a descriptor; -1 when empty.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Above the numbers dup2'ed to in the child, so no dup2 clobbers another
// source; close-on-exec so concurrent spawns on other threads never
// inherit them (an inherited write end would delay our EOF).
base::Result<UniqueFd> HighFd(int fd) {
  UniqueFd owned(fd);
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high < 0) return base::ErrnoStatus("fcntl F_DUPFD_CLOEXEC", errno);
  return UniqueFd(high);
}

struct Pipe {
  UniqueFd read, write;
};

base::Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return base::ErrnoStatus("pipe2", errno);
  Pipe p;
  ASSIGN_OR_RETURN(p.read, HighFd(fds[0]));
  ASSIGN_OR_RETURN(p.write, HighFd(fds[1]));
  return p;
}

base::Result<UniqueFd> PlanMemfd(const std::string& json) {
  int fd = static_cast<int>(::syscall(SYS_memfd_create, "longhaul-plan", MFD_CLOEXEC));
  if (fd < 0) return base::ErrnoStatus("memfd_create", errno);
  UniqueFd owned(fd);
  size_t done = 0;
  while (done < json.size()) {
    ssize_t n = ::write(fd, json.data() + done, json.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return base::ErrnoStatus("write plan", errno);
    done += static_cast<size_t>(n);
  }
  return HighFd(owned.release());
}

base::Status CheckCanonical(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return base::ErrnoStatus("sandbox: " + path, errno);
  if (path != real) {
    return base::InvalidArgument("sandbox: path '" + path + "' is not canonical (it resolves to '" +
                                 std::string(real) + "')");
  }
  return base::Status::Ok();
}

base::Result<std::string> HelperPath(const ExecOptions& options) {
  if (!options.helper_binary.empty()) return options.helper_binary;
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return base::ErrnoStatus("readlink /proc/self/exe", errno);
  return std::string(buf, static_cast<size_t>(n));
}

// All state of one run, driven by one io_context on the calling thread.
class RunningCommand {
 public:
  RunningCommand(const Limits& limits, pid_t pid)
      : limits_(limits), pid_(pid), out_(limits.output_cap_bytes), err_(limits.output_cap_bytes),
        report_(kReportCap), deadline_(ioc_), drain_(ioc_), exit_poll_(ioc_),
        out_desc_(ioc_), err_desc_(ioc_), report_desc_(ioc_), pidfd_desc_(ioc_) {}

  void Start(Pipe& out, Pipe& err, Pipe& report) {
    out_desc_.assign(out.read.release());
    err_desc_.assign(err.read.release());
    report_desc_.assign(report.read.release());
    ReadLoop(out_desc_, out_, out_buf_, &out_open_, true);
    ReadLoop(err_desc_, err_, err_buf_, &err_open_, true);
    ReadLoop(report_desc_, report_, report_buf_, &report_open_, false);
    deadline_.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(limits_.timeout_seconds)));
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || exited_) return;
      timed_out_ = true;
      KillGroup();
    });
    WatchExit();
    ioc_.run();
  }

  void KillGroup() { ::kill(-pid_, SIGKILL); }
  bool timed_out() const { return timed_out_; }
  bool output_killed() const { return output_killed_; }
  CapturedOutput stdout_output() const { return out_.Finish(); }
  CapturedOutput stderr_output() const { return err_.Finish(); }
  std::string report_text() const { return report_.Finish().Text(); }

 private:
  using Desc = asio::posix::stream_descriptor;
  using Buffer = std::array<char, 65536>;

  void ReadLoop(Desc& desc, internal::OutputCapture& capture, Buffer& buf, bool* open, bool counts) {
    desc.async_read_some(asio::buffer(buf), [this, &desc, &capture, &buf, open, counts](
                                                const boost::system::error_code& ec, size_t n) {
      if (n > 0) {
        capture.Append(buf.data(), n);
        if (counts && !output_killed_ &&
            out_.total_bytes() + err_.total_bytes() > limits_.output_kill_bytes) {
          // Killed rather than drained: draining a flood costs CPU for as
          // long as the command cares to write.
          output_killed_ = true;
          KillGroup();
        }
      }
      if (ec) {
        *open = false;
        desc.close();
        MaybeFinish();
        return;
      }
      ReadLoop(desc, capture, buf, open, counts);
    });
  }

  // pidfd (Linux 5.3+) says when the helper exits without reaping it, so
  // its pid, and with it the process group id, stays ours to signal.
  void WatchExit() {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
      pidfd_desc_.assign(pidfd);
      pidfd_desc_.async_wait(Desc::wait_read, [this](const boost::system::error_code& ec) {
        if (!ec) OnExit();
      });
      return;
    }
    PollExit();
  }

  void PollExit() {
    siginfo_t info = {};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid_) {
      OnExit();
      return;
    }
    exit_poll_.expires_after(std::chrono::milliseconds(20));
    exit_poll_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) PollExit();
    });
  }

  void OnExit() {
    exited_ = true;
    deadline_.cancel();
    drain_.expires_after(kDrainGrace);
    drain_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      // Leftover writers outlived the command; the result is complete.
      KillGroup();
      out_desc_.close();
      err_desc_.close();
      report_desc_.close();
    });
    MaybeFinish();
  }

  void MaybeFinish() {
    if (exited_ && !out_open_ && !err_open_ && !report_open_) {
      drain_.cancel();
      pidfd_desc_.close();
    }
  }

  const Limits& limits_;
  pid_t pid_;
  internal::OutputCapture out_, err_, report_;
  asio::io_context ioc_;
  asio::steady_timer deadline_, drain_, exit_poll_;
  Desc out_desc_, err_desc_, report_desc_, pidfd_desc_;
  Buffer out_buf_, err_buf_, report_buf_;
  bool out_open_ = true, err_open_ = true, report_open_ = true;
  bool exited_ = false, timed_out_ = false, output_killed_ = false;
};

struct HelperReport {
  bool applied = false;
  std::string setup_error;
  std::vector<std::string> notes;
};

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

HelperReport ParseReport(const std::string& text) {
  try {
    return ParseReportLines(text);
  } catch (const std::exception& e) {
    // Only our helper writes the report; garbage there is a helper bug.
    HelperReport report;
    report.setup_error = std::string("report: unreadable: ") + e.what();
    return report;
  }
}

base::Result<ExecResult> Spawn(const LaunchPlan& plan, const Limits& limits,
                               const std::string& helper) {
  ASSIGN_OR_RETURN(Pipe out, MakePipe());
  ASSIGN_OR_RETURN(Pipe err, MakePipe());
  ASSIGN_OR_RETURN(Pipe report, MakePipe());
  ASSIGN_OR_RETURN(UniqueFd plan_fd, PlanMemfd(internal::PlanToJson(plan)));
  ASSIGN_OR_RETURN(UniqueFd devnull, HighFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));

  std::vector<std::string> args = {"__sandbox-exec", "--plan-fd", std::to_string(kPlanFd),
                                   "--report-fd", std::to_string(kReportFd),
                                   "--parent-pid", std::to_string(::getpid()), "--"};
  args.insert(args.end(), plan.argv.begin(), plan.argv.end());
  const int in_fd = devnull.get(), out_fd = out.write.get(), err_fd = err.write.get();
  const int report_fd = report.write.get(), memfd = plan_fd.get();
  // Runs in the child between fork and exec: async-signal-safe calls only.
  // A new session detaches the command from our terminal (no TIOCSTI into
  // the user's shell) and makes it the leader of the group we kill.
  auto child_setup = [=](auto&) {
    ::setsid();
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::dup2(report_fd, kReportFd);
    ::dup2(memfd, kPlanFd);
  };
  const Clock::time_point start = Clock::now();
  std::unique_ptr<bp::child> child;
  try {
    child = std::make_unique<bp::child>(bp::exe = helper, bp::args = args,
                                        bp::extend::on_exec_setup = child_setup);
  } catch (const std::exception& e) {
    return base::Internal(std::string("sandbox: cannot start helper ") + helper + ": " + e.what());
  }
  out.write.reset();
  err.write.reset();
  report.write.reset();

  RunningCommand run(limits, child->id());
  run.Start(out, err, report);
  run.KillGroup();  // leftovers, if any, die with the group
  try {
    child->wait();
  } catch (const std::exception& e) {
    return base::Internal(std::string("sandbox: waiting for the helper failed: ") + e.what());
  }
  const int status = child->native_exit_code();

  HelperReport helper_report = ParseReport(run.report_text());
  if (!helper_report.setup_error.empty()) {
    return base::FailedPrecondition("sandbox: setting up confinement failed at " +
                                    helper_report.setup_error);
  }
  ExecResult result;
  result.timed_out = run.timed_out();
  result.output_limit_exceeded = run.output_killed();
  result.stdout_output = run.stdout_output();
  result.stderr_output = run.stderr_output();
  if (!helper_report.applied && !result.timed_out) {
    return base::Internal("sandbox: the helper exited (status " + std::to_string(status) +
                          ") before confining the command: " + result.stderr_output.Text());
  }
  if (WIFSIGNALED(status)) {
    result.termination = Termination::kSignaled;
    result.signal = WTERMSIG(status);
  } else {
    result.termination = Termination::kExited;
    result.exit_code = WEXITSTATUS(status);
  }
  result.layers = plan.layers;
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.notes = std::move(helper_report.notes);
  return result;
}

}  // namespace

base::Result<ExecResult> RunSandboxed(const Policy& policy, const CommandSpec& command,
                                      const ExecOptions& options) {
  RETURN_IF_ERROR(CheckCanonical(policy.repo_root));
  for (const std::string& p : policy.extra_writable) RETURN_IF_ERROR(CheckCanonical(p));
  HostFacts host;
  host.kernel = options.kernel_override ? *options.kernel_override : ProbeKernelFeatures();
  internal::HardlinkScan scan = internal::ScanHardlinks(policy.repo_root, kHardlinkScanLimit);
  host.hardlinked_files = std::move(scan.files);
  host.hardlink_scan_complete = scan.complete;
  host.root_identity = ::getuid() == 0;
  ASSIGN_OR_RETURN(LaunchPlan plan, PlanLaunch(policy, command, host));
  ASSIGN_OR_RETURN(std::string helper, HelperPath(options));
  return Spawn(plan, policy.limits, helper);
}

}  // namespace sandbox
