// RunSandboxed: plan, spawn the helper through Boost.Process, capture its
// output asynchronously with bounded memory, enforce the wall-clock
// timeout and the output kill threshold, and report the result.
//
// This is the only file that includes Boost.Process (it is expensive to
// compile). Boost reports failures by throwing; nothing escapes this file.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Boost 1.74's asio uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "sandbox/internal/helper_launch.h"
#include "sandbox/internal/output_capture.h"
#include "sandbox/internal/plan_json.h"
#include "sandbox/sandbox.h"

namespace sandbox {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

using internal::Pipe;
using internal::UniqueFd;

// After the helper exits, how long stray writers (possible only without a
// pid namespace) may keep the pipes open before they are killed.
constexpr auto kDrainGrace = std::chrono::milliseconds(500);

// All state of one run, driven by one io_context on the calling thread.
class RunningCommand {
 public:
  RunningCommand(const Limits& limits, pid_t pid)
      : limits_(limits), pid_(pid), out_(limits.output_cap_bytes), err_(limits.output_cap_bytes),
        report_(internal::kReportCap), deadline_(ioc_), drain_(ioc_), exit_poll_(ioc_),
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

base::Result<ExecResult> Spawn(const LaunchPlan& plan, const Limits& limits,
                               const std::string& helper, const std::string& stdin_data) {
  using internal::kPlanFd;
  using internal::kReportFd;
  ASSIGN_OR_RETURN(Pipe out, internal::MakePipe());
  ASSIGN_OR_RETURN(Pipe err, internal::MakePipe());
  ASSIGN_OR_RETURN(Pipe report, internal::MakePipe());
  ASSIGN_OR_RETURN(UniqueFd plan_fd, internal::DataMemfd("longhaul-plan", internal::PlanToJson(plan)));
  // Input given up front reads like a file: no pipe to keep fed, and a
  // command that never reads it cannot block us.
  ASSIGN_OR_RETURN(UniqueFd stdin_fd,
                   stdin_data.empty() ? internal::HighFd(::open("/dev/null", O_RDONLY | O_CLOEXEC))
                                      : internal::DataMemfd("longhaul-stdin", stdin_data));

  const std::vector<std::string> args = internal::HelperArgs(plan);
  const int in_fd = stdin_fd.get(), out_fd = out.write.get(), err_fd = err.write.get();
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

  internal::HelperReport helper_report = internal::ParseHelperReport(run.report_text());
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
  ASSIGN_OR_RETURN(LaunchPlan plan, internal::PlanForHost(policy, command, options));
  ASSIGN_OR_RETURN(std::string helper, internal::HelperPath(options));
  return Spawn(plan, policy.limits, helper, options.stdin_data);
}

}  // namespace sandbox
