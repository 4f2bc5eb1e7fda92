// SpawnSandboxed: the helper started with posix_spawn (no Boost: nothing
// here is asynchronous), its stdin and stdout handed to the caller, its
// stderr drained by a thread, its report read until the command execs.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "sandbox/internal/helper_launch.h"
#include "sandbox/internal/output_capture.h"
#include "sandbox/internal/plan_json.h"
#include "sandbox/sandbox.h"

extern char** environ;

namespace sandbox {

using internal::Pipe;
using internal::UniqueFd;
using Clock = std::chrono::steady_clock;

struct SandboxedProcess::State {
  explicit State(uint64_t stderr_cap) : stderr_capture(stderr_cap) {}

  pid_t pid = -1;
  UniqueFd stdin_write, stdout_read;
  std::vector<LayerStatus> layers;
  std::vector<std::string> notes;

  // Guards everything below, and stdin_write against CloseStdin racing a
  // reader of stdin_fd() (closing is the caller's own business).
  mutable std::mutex mu;
  std::optional<ProcessExit> exit;
  bool killed = false;
  internal::OutputCapture stderr_capture;

  // The drain thread reads `stderr_read` until end of file or until
  // `stop_write` is closed.
  UniqueFd stderr_read, stop_read, stop_write;
  std::thread drain;

  void Drain() {
    char buf[16384];
    pollfd fds[2] = {{stderr_read.get(), POLLIN, 0}, {stop_read.get(), POLLIN, 0}};
    for (;;) {
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || fds[1].revents != 0) return;
      if (fds[0].revents == 0) continue;
      ssize_t got = ::read(stderr_read.get(), buf, sizeof(buf));
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) return;
      std::lock_guard<std::mutex> lock(mu);
      stderr_capture.Append(buf, static_cast<size_t>(got));
    }
  }

  // Peeks at the exit status without reaping. Caller holds `mu`.
  std::optional<ProcessExit> PeekLocked() {
    if (exit) return exit;
    siginfo_t info = {};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != pid) {
      return std::nullopt;
    }
    ProcessExit e;
    if (info.si_code == CLD_EXITED) {
      e.termination = Termination::kExited;
      e.exit_code = info.si_status;
    } else {
      e.termination = Termination::kSignaled;
      e.signal = info.si_status;
    }
    exit = e;
    return exit;
  }
};

namespace {

base::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return base::ErrnoStatus("fcntl O_NONBLOCK", errno);
  }
  return base::Status::Ok();
}

// The child's five descriptors, placed where the helper expects them.
struct ChildFds {
  int in = -1, out = -1, err = -1, report = -1, plan = -1;
};

base::Result<pid_t> PosixSpawnHelper(const std::string& helper, const std::vector<std::string>& args,
                                     const ChildFds& fds) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, fds.in, 0);
  posix_spawn_file_actions_adddup2(&actions, fds.out, 1);
  posix_spawn_file_actions_adddup2(&actions, fds.err, 2);
  posix_spawn_file_actions_adddup2(&actions, fds.report, internal::kReportFd);
  posix_spawn_file_actions_adddup2(&actions, fds.plan, internal::kPlanFd);
  // A new session, as RunSandboxed: off our terminal, and the leader of
  // the group Kill() signals. The calling thread's mask (it may be
  // blocking SIGPIPE around a write) and an ignored SIGPIPE must not leak
  // into the command.
  sigset_t empty, pipe_only;
  sigemptyset(&empty);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(helper.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, helper.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return base::Internal("sandbox: cannot start helper " + helper + ": " + std::system_category().message(rc));
  }
  return pid;
}

// The helper dies with its parent (PR_SET_PDEATHSIG), and to the kernel
// the parent is the thread that spawned it, not the process: a server
// spawned from a short-lived thread (std::async, a pool worker that
// retires) would be killed when that thread ends. So every spawn runs on
// this one thread, which lives as long as the process.
class SpawnerThread {
 public:
  static SpawnerThread& Get() {
    static SpawnerThread* const spawner = new SpawnerThread();  // never destroyed: it must outlive every server
    return *spawner;
  }

  base::Result<pid_t> Spawn(const std::string& helper, const std::vector<std::string>& args, const ChildFds& fds) {
    Job job{&helper, &args, &fds, std::nullopt};
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&job);
    wake_.notify_all();
    done_.wait(lock, [&] { return job.result.has_value(); });
    return std::move(*job.result);
  }

 private:
  struct Job {
    const std::string* helper;
    const std::vector<std::string>* args;
    const ChildFds* fds;
    std::optional<base::Result<pid_t>> result;
  };

  SpawnerThread() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty(); });
      Job* job = queue_.front();
      queue_.erase(queue_.begin());
      lock.unlock();
      base::Result<pid_t> pid = PosixSpawnHelper(*job->helper, *job->args, *job->fds);
      lock.lock();
      job->result = std::move(pid);
      done_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<Job*> queue_;
};

// Reads the report pipe until every copy of its write end is closed: the
// helper closes it, or the command's exec does (close-on-exec).
base::Result<std::string> ReadReport(int fd, Clock::time_point deadline) {
  std::string text;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return base::DeadlineExceeded("sandbox: the helper did not finish setting up in time");
    pollfd p = {fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus("poll report", errno);
    if (n == 0) continue;
    ssize_t got = ::read(fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return base::ErrnoStatus("read report", errno);
    if (got == 0) return text;
    if (text.size() < internal::kReportCap) text.append(buf, static_cast<size_t>(got));
  }
}

}  // namespace

std::string ProcessExit::Describe() const {
  if (termination == Termination::kExited) return "exit code " + std::to_string(exit_code);
  const char* abbrev = ::sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) +
         (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : std::string());
}

SandboxedProcess::SandboxedProcess(std::unique_ptr<State> state) : state_(std::move(state)) {}

SandboxedProcess::~SandboxedProcess() {
  Kill();
  int status = 0;
  while (::waitpid(state_->pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Without a pid namespace a stray grandchild may still hold stderr open;
  // the stop pipe ends the drain regardless.
  state_->stop_write.reset();
  if (state_->drain.joinable()) state_->drain.join();
}

pid_t SandboxedProcess::pid() const { return state_->pid; }
int SandboxedProcess::stdin_fd() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stdin_write.get();
}
int SandboxedProcess::stdout_fd() const { return state_->stdout_read.get(); }

void SandboxedProcess::CloseStdin() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stdin_write.reset();
}

std::optional<ProcessExit> SandboxedProcess::TryWait() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->PeekLocked();
}

std::optional<ProcessExit> SandboxedProcess::Wait(double timeout_seconds) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds));
  auto nap = std::chrono::milliseconds(1);
  for (;;) {
    if (auto e = TryWait()) return e;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::milliseconds(20));
  }
}

void SandboxedProcess::Kill() {
  std::lock_guard<std::mutex> lock(state_->mu);
  // The leader is never reaped before the destructor, so the group id
  // cannot have been reused.
  ::kill(-state_->pid, SIGKILL);
  state_->killed = true;
}

CapturedOutput SandboxedProcess::StderrOutput() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stderr_capture.Finish();
}

const std::vector<LayerStatus>& SandboxedProcess::layers() const { return state_->layers; }
const std::vector<std::string>& SandboxedProcess::notes() const { return state_->notes; }

base::Result<std::unique_ptr<SandboxedProcess>> SpawnSandboxed(const Policy& policy,
                                                               const CommandSpec& command,
                                                               const ExecOptions& options) {
  ASSIGN_OR_RETURN(LaunchPlan plan, internal::PlanForHost(policy, command, options));
  ASSIGN_OR_RETURN(std::string helper, internal::HelperPath(options));
  ASSIGN_OR_RETURN(Pipe in, internal::MakePipe());
  ASSIGN_OR_RETURN(Pipe out, internal::MakePipe());
  ASSIGN_OR_RETURN(Pipe err, internal::MakePipe());
  ASSIGN_OR_RETURN(Pipe report, internal::MakePipe());
  ASSIGN_OR_RETURN(Pipe stop, internal::MakePipe());
  ASSIGN_OR_RETURN(UniqueFd plan_fd, internal::DataMemfd("longhaul-plan", internal::PlanToJson(plan)));
  RETURN_IF_ERROR(SetNonBlocking(in.write.get()));
  RETURN_IF_ERROR(SetNonBlocking(out.read.get()));

  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(policy.limits.timeout_seconds));
  ChildFds fds{in.read.get(), out.write.get(), err.write.get(), report.write.get(), plan_fd.get()};
  ASSIGN_OR_RETURN(pid_t pid, SpawnerThread::Get().Spawn(helper, internal::HelperArgs(plan), fds));

  auto state = std::make_unique<SandboxedProcess::State>(policy.limits.output_cap_bytes);
  state->pid = pid;
  state->stdin_write = std::move(in.write);
  state->stdout_read = std::move(out.read);
  state->stderr_read = std::move(err.read);
  state->stop_read = std::move(stop.read);
  state->stop_write = std::move(stop.write);
  state->layers = plan.layers;
  // From here on the process object owns the child: every early return
  // kills and reaps it.
  SandboxedProcess::State& s = *state;
  auto process = std::make_unique<SandboxedProcess>(std::move(state));
  s.drain = std::thread([&s] { s.Drain(); });
  in.read.reset();
  out.write.reset();
  err.write.reset();
  report.write.reset();
  plan_fd.reset();

  ASSIGN_OR_RETURN(std::string report_text, ReadReport(report.read.get(), deadline));
  internal::HelperReport helper_report = internal::ParseHelperReport(report_text);
  if (!helper_report.setup_error.empty()) {
    return base::FailedPrecondition("sandbox: setting up confinement failed at " + helper_report.setup_error);
  }
  if (!helper_report.applied) {
    std::optional<ProcessExit> exit = process->Wait(1);
    std::string how = exit ? exit->Describe() : "still running";
    return base::Internal("sandbox: the helper stopped (" + how + ") before confining the command: " +
                          process->StderrOutput().Text());
  }
  s.notes = std::move(helper_report.notes);
  return process;
}

}  // namespace sandbox
