// `longhaul __sandbox-exec`: applies a LaunchPlan, then becomes the command.
//
// Process layout with a pid namespace:
//   outer (our parent's child, session leader): unshares, maps ids, forks
//     init (pid 1): builds the mount tree, forks
//       command (pid 2): confines itself and execs
//   init reaps everything and hands the command's wait status to outer
//   through a pipe; outer exits the same way. When init exits, the kernel
//   kills whatever the command left behind in the namespace.
// Without a pid namespace the outer process does all of it and execs.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/helper/exec_command.h"
#include "sandbox/helper/report.h"
#include "sandbox/helper/steps.h"
#include "sandbox/internal/plan_json.h"
#include "sandbox/sandbox.h"

namespace sandbox {
namespace {

using helper::Report;

struct HelperArgs {
  int plan_fd = -1;
  std::string plan_json;
  int report_fd = -1;
  int parent_pid = 0;
  std::vector<std::string> command;
};

bool ParseInt(std::string_view text, int* out) {
  if (text.empty() || text.size() > 9) return false;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

base::Result<HelperArgs> ParseArgs(int argc, char** argv) {
  HelperArgs args;
  int i = 2;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (i + 1 >= argc) return base::InvalidArgument("missing value for " + std::string(a));
    std::string_view v = argv[++i];
    if (a == "--plan-fd" && ParseInt(v, &args.plan_fd)) continue;
    if (a == "--report-fd" && ParseInt(v, &args.report_fd)) continue;
    if (a == "--parent-pid" && ParseInt(v, &args.parent_pid)) continue;
    if (a == "--plan") {
      args.plan_json = v;
      continue;
    }
    return base::InvalidArgument("bad option " + std::string(a));
  }
  for (++i; i < argc; ++i) args.command.emplace_back(argv[i]);
  if (args.command.empty()) return base::InvalidArgument("no command after --");
  if ((args.plan_fd < 0) == args.plan_json.empty()) {
    return base::InvalidArgument("exactly one of --plan-fd and --plan is needed");
  }
  return args;
}

base::Result<std::string> ReadAll(int fd) {
  std::string text;
  char buf[65536];
  for (off_t offset = 0;;) {
    // pread: the plan arrives in a memfd whose offset we must not assume.
    ssize_t n = ::pread(fd, buf, sizeof(buf), offset);
    if (n < 0 && errno == ESPIPE) n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus("read plan", errno);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
}

// Ends this process the way the command ended: the same exit code, or
// death by the same signal (with core dumps off), so our parent can tell
// a crash from an exit.
[[noreturn]] void ExitLike(int wait_status) {
  if (WIFEXITED(wait_status)) ::_exit(WEXITSTATUS(wait_status));
  int sig = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : SIGKILL;
  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  // The raw syscall: sanitizer runtimes intercept sigaction() and may keep
  // their own handler for SIGSEGV and friends.
  struct {
    void* handler;
    unsigned long flags;
    void* restorer;
    uint64_t mask;
  } dfl = {reinterpret_cast<void*>(SIG_DFL), 0, nullptr, 0};
  ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::syscall(SYS_tgkill, ::getpid(), ::syscall(SYS_gettid), sig);
  ::_exit(128 + sig);  // a signal whose default action is to continue
}

// pid 1 of the new pid namespace.
[[noreturn]] void RunInit(const LaunchPlan& plan, Report report, int status_fd) {
  // If the outer helper is killed (timeout), take the namespace down too.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::vector<std::string> notes;
  helper::PrepareContainer(plan, report, &notes);
  pid_t command = ::fork();
  if (command < 0) report.Fail("fork", base::ErrnoStatus("fork", errno));
  if (command == 0) {
    ::close(status_fd);
    helper::ConfineAndExec(plan, report, notes);
  }
  report.Close();
  ::prctl(PR_SET_DUMPABLE, 0);
  helper::DropCapabilities().IgnoreError();  // init needs none from here on
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) ::_exit(helper::kSetupFailedExit);  // lost our only child
    if (pid != command) continue;  // an orphan reparented to us
    ssize_t n = ::write(status_fd, &status, sizeof(status));
    (void)n;
    ::_exit(0);  // the kernel now kills the rest of the namespace
  }
}

[[noreturn]] void RunOuter(const LaunchPlan& plan, Report report) {
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  if (base::Status s = helper::UnshareNamespaces(plan.namespaces); !s.ok()) report.Fail("unshare", s);
  if (plan.namespaces.user) {
    if (base::Status s = helper::WriteIdentityMaps(uid, gid); !s.ok()) report.Fail("id maps", s);
  }
  if (!plan.namespaces.pid) {
    std::vector<std::string> notes;
    helper::PrepareContainer(plan, report, &notes);
    helper::ConfineAndExec(plan, report, notes);
  }
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) report.Fail("pipe", base::ErrnoStatus("pipe", errno));
  pid_t init = ::fork();
  if (init < 0) report.Fail("fork", base::ErrnoStatus("fork init", errno));
  if (init == 0) {
    ::close(status_pipe[0]);
    RunInit(plan, report, status_pipe[1]);
  }
  ::close(status_pipe[1]);
  report.Close();
  int init_status = 0;
  while (::waitpid(init, &init_status, 0) < 0 && errno == EINTR) {
  }
  int command_status = 0;
  ssize_t n = ::read(status_pipe[0], &command_status, sizeof(command_status));
  ExitLike(n == sizeof(command_status) ? command_status : init_status);
}

}  // namespace

int RunSandboxExecHelper(int argc, char** argv) {
  auto args = ParseArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr,
                 "longhaul __sandbox-exec: %s\nusage: longhaul __sandbox-exec (--plan-fd N | --plan JSON)"
                 " [--report-fd N] [--parent-pid N] -- COMMAND [ARGS...]\n",
                 args.status().message().c_str());
    return 2;
  }
  // If longhaul dies, so does the sandbox: the command when it is exec'd
  // directly (the setting survives execve), else init through its own
  // death signal, taking the pid namespace down.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (args->parent_pid > 0 && ::getppid() != args->parent_pid) ::_exit(helper::kSetupFailedExit);
  Report report(args->report_fd);
  std::string text = args->plan_json;
  if (args->plan_fd >= 0) {
    auto read = ReadAll(args->plan_fd);
    if (!read.ok()) report.Fail("plan", read.status());
    text = std::move(*read);
    ::close(args->plan_fd);
  }
  auto plan = internal::PlanFromJson(text);
  if (!plan.ok()) report.Fail("plan", plan.status());
  if (!plan->argv.empty() && plan->argv != args->command) {
    report.Fail("plan", base::InvalidArgument("the command after -- differs from the plan's"));
  }
  plan->argv = args->command;
  if (base::Status s = helper::CloseInheritedFds(args->report_fd); !s.ok()) report.Fail("fds", s);
  if (args->report_fd >= 0) ::fcntl(args->report_fd, F_SETFD, FD_CLOEXEC);
  RunOuter(*plan, report);
}

}  // namespace sandbox
