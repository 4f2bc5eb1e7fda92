// The escape suite (issue 6, "Done when"): every attempt must fail, and
// each assertion names the precise failure. The tally is printed at the
// end of the run.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "tests/sandbox/sandbox_testing.h"

namespace {

using sandbox_testing::Exists;
using sandbox_testing::ProbeLine;
using sandbox_testing::Run;

// One per test process: Catch re-enters the test case once per SECTION,
// and the tally covers them all.
class Tally {
 public:
  // Counts one attempt; `blocked` must be true. `observed` is what the
  // sandbox answered, shown when the check fails.
  void Attempt(const std::string& name, bool blocked, const std::string& observed) {
    ++attempts_;
    if (blocked) ++blocked_;
    INFO("attempt: " << name << "\nobserved: " << observed);
    CHECK(blocked);
  }
  ~Tally() {
    std::cout << "escape suite tally: " << attempts_ << " attempts, " << blocked_ << " blocked"
              << std::endl;
  }

 private:
  int attempts_ = 0;
  int blocked_ = 0;
};

std::string Token() { return "lh" + std::to_string(::getpid()) + "x" + std::to_string(std::rand()); }

}  // namespace

TEST_CASE("escape suite: every attempt to leave the sandbox fails precisely", "[sandbox][escape]") {
  REQUIRE_FULL_SANDBOX();
  const auto s = sandbox_testing::MakeScratch(/*prefer_home=*/true);
  if (!s.outside_visible) WARN("scratch is under /tmp: outside paths are invisible, not read-only");
  const sandbox::Policy policy = sandbox_testing::TestPolicy(s);
  const std::string erofs = "EROFS (Read-only file system)";
  const std::string outside_err = s.outside_visible ? erofs : "ENOENT (No such file or directory)";
  const std::string token = Token();
  auto probe = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "./probe");
    return ProbeLine(Run(policy, args));
  };
  static Tally tally;

  SECTION("filesystem") {
    const char* home = std::getenv("HOME");
    const std::string etc_target = "/etc/longhaul-escape-" + token;
    std::string got = probe({"write", etc_target});
    tally.Attempt("write /etc", got == "write: " + erofs && !Exists(etc_target), got);

    const std::string home_target = std::string(home ? home : "/root") + "/longhaul-escape-" + token;
    got = probe({"write", home_target});
    tally.Attempt("write $HOME", got == "write: " + erofs && !Exists(home_target), got);

    got = probe({"write", s.outside + "/escape"});
    tally.Attempt("write a host directory outside the repo",
                  got == "write: " + outside_err && !Exists(s.outside + "/escape"), got);

    // /tmp inside is a private tmpfs: the write lands there, never on the host.
    const std::string tmp_target = "/tmp/longhaul-escape-" + token;
    got = probe({"write", tmp_target});
    tally.Attempt("write the host's /tmp", got == "write: OK " + tmp_target && !Exists(tmp_target), got);

    if (s.has_git) {
      const std::string head_before = sandbox_testing::ReadFile(s.repo + "/.git/HEAD");
      got = probe({"write", s.repo + "/.git/HEAD"});
      tally.Attempt("overwrite .git/HEAD",
                    got == "write: " + erofs && sandbox_testing::ReadFile(s.repo + "/.git/HEAD") == head_before,
                    got);
      got = probe({"write", s.repo + "/.git/hooks/pre-commit"});
      tally.Attempt("plant a git hook", got == "write: " + erofs && !Exists(s.repo + "/.git/hooks/pre-commit"), got);
    } else {
      WARN("SKIPPED .git attempts: git is not installed");
    }

    ::symlink("/etc", (s.repo + "/etc-link").c_str());
    got = probe({"write", s.repo + "/etc-link/longhaul-escape-" + token});
    tally.Attempt("write through a planted symlink to /etc",
                  got == "write: " + erofs && !Exists(etc_target), got);

    sandbox_testing::WriteFile(s.outside + "/victim", "original\n");
    ::symlink((s.outside + "/victim").c_str(), (s.repo + "/victim-link").c_str());
    got = probe({"append", s.repo + "/victim-link"});
    tally.Attempt("append through a planted symlink to an outside file",
                  got == "write: " + outside_err &&
                      sandbox_testing::ReadFile(s.outside + "/victim") == "original\n",
                  got);

    REQUIRE(::link((s.outside + "/victim").c_str(), (s.repo + "/victim-hardlink").c_str()) == 0);
    got = probe({"append", s.repo + "/victim-hardlink"});
    tally.Attempt("append through a planted hard link to an outside file",
                  got == "write: " + erofs && sandbox_testing::ReadFile(s.outside + "/victim") == "original\n",
                  got);

    got = probe({"link", s.outside + "/victim", s.repo + "/new-hardlink"});
    const std::string link_err = s.outside_visible ? "EXDEV (Invalid cross-device link)" : "ENOENT (No such file or directory)";
    tally.Attempt("hard-link an outside file into the repo", got == "link: " + link_err, got);

    got = probe({"write", "/proc/sys/kernel/domainname"});
    tally.Attempt("write a sysctl", got == "write: " + erofs, got);

    sandbox_testing::WriteFile(s.home + "/.netrc", "machine x password hunter2\n");
    std::filesystem::create_directories(s.home + "/.ssh");
    sandbox_testing::WriteFile(s.home + "/.ssh/id_ed25519", "PRIVATE KEY\n");
    got = probe({"read", s.home + "/.ssh/id_ed25519"});
    tally.Attempt("read a denied secret (~/.ssh)", got == "read: EACCES (Permission denied)", got);
    got = probe({"read", s.home + "/.netrc"});
    tally.Attempt("read a denied secret file (~/.netrc)", got == "read: EACCES (Permission denied)", got);
  }

  SECTION("network") {
    sandbox_testing::HostListener tcp(/*udp=*/false);
    std::string got = probe({"connect", "127.0.0.1", std::to_string(tcp.port())});
    tally.Attempt("connect to a host TCP listener on 127.0.0.1",
                  got == "connect: ECONNREFUSED (Connection refused)" && !tcp.Reached(), got);

    sandbox_testing::HostListener dns(/*udp=*/true);
    got = probe({"dns", "127.0.0.1", std::to_string(dns.port())});
    tally.Attempt("DNS query to a host resolver on 127.0.0.1",
                  got == "dns: ECONNREFUSED (Connection refused)" && !dns.Reached(), got);

    got = probe({"resolve", "example.com"});
    tally.Attempt("DNS lookup through libc", got == "resolve: EAI_AGAIN (Temporary failure in name resolution)", got);

    const std::string name = "longhaul-test-" + token;
    sandbox_testing::AbstractListener unix_listener(name);
    got = probe({"abstract", name});
    tally.Attempt("connect to a host abstract unix socket",
                  got == "abstract: ECONNREFUSED (Connection refused)" && !unix_listener.Reached(), got);
  }

  SECTION("processes and syscalls") {
    std::string got = probe({"ptrace-parent"});
    tally.Attempt("ptrace the parent", got == "ptrace: EPERM (Operation not permitted)", got);

    sandbox_testing::HostSleeper host_process;
    const std::string pid = std::to_string(host_process.pid());
    got = probe({"kill", pid, "0"});
    tally.Attempt("see a host process", got == "kill: ESRCH (No such process)", got);
    got = probe({"kill", pid, std::to_string(SIGKILL)});
    tally.Attempt("signal a host process", got == "kill: ESRCH (No such process)" && host_process.Alive(), got);
    got = probe({"procs"});
    // Only the sandbox's init and the probe itself.
    tally.Attempt("list host processes", got == "procs: 2", got);

    got = probe({"mount", "/tmp"});
    tally.Attempt("mount from inside", got == "mount: EPERM (Operation not permitted)", got);
    got = probe({"unshare"});
    tally.Attempt("unshare from inside", got == "unshare: EPERM (Operation not permitted)", got);
    got = probe({"clone-newuser"});
    tally.Attempt("clone(CLONE_NEWUSER) from inside", got == "clone: EPERM (Operation not permitted)", got);
    for (const char* op : {"bpf", "io_uring", "keyctl", "kexec"}) {
      got = probe({op});
      tally.Attempt(op, got == std::string(op) + ": EPERM (Operation not permitted)", got);
    }
  }

  SECTION("resource bombs") {
    sandbox::Policy bounded = policy;
    bounded.limits.max_processes = 64;
    bounded.limits.address_space_bytes = 256 * sandbox::kMiB;
    auto run = Run(bounded, {"./probe", "forkbomb"});
    std::string got = ProbeLine(run);
    // RLIMIT_NPROC binds exactly, except for uid 0, which the kernel
    // exempts; then the pid namespace's pid_max (limit + 300) is the cap.
    const int cap = ::getuid() == 0 ? 64 + 300 : 64;
    const int forks = std::atoi(got.c_str() + got.rfind("after ") + 6);
    tally.Attempt("fork bomb (counted)",
                  got.rfind("forkbomb: EAGAIN (Resource temporarily unavailable) after ", 0) == 0 &&
                      forks > 0 && forks < cap,
                  got);

    bounded.limits.timeout_seconds = 2;
    const std::string bomb = "lh-forkbomb-" + token;
    // The outer shell must outlive the bomb: when the command exits, the
    // pid namespace is torn down and the bomb dies with it at once.
    run = Run(bounded, {"bash", "-c", "exec -a " + bomb + " bash -c ':(){ :|:& };:; sleep 10'"});
    bool stopped = run.ok() && run->timed_out && run->signal == SIGKILL &&
                   run->stderr_output.Text().find("Resource temporarily unavailable") != std::string::npos;
    tally.Attempt("fork bomb (classic, killed at the timeout, nothing survives)",
                  stopped && sandbox_testing::CountProcessesNamed(bomb) == 0,
                  run.ok() ? run->stderr_output.Text().substr(0, 200) : run.status().ToString());

    got = ProbeLine(Run(bounded, {"./probe", "alloc", "1024"}));
    tally.Attempt("memory bomb (1 GiB under a 256 MiB limit)", got == "alloc: ENOMEM (Cannot allocate memory)", got);

    sandbox::Policy flood = policy;
    flood.limits.output_cap_bytes = 64 * 1024;
    flood.limits.output_kill_bytes = 512 * sandbox::kMiB;
    const uint64_t rss_before = sandbox_testing::PeakRssBytes();
    run = Run(flood, {"./probe", "flood", std::to_string(10ull * sandbox::kGiB)});
    const uint64_t rss_growth = sandbox_testing::PeakRssBytes() - rss_before;
    bool capped = run.ok() && run->output_limit_exceeded && run->signal == SIGKILL &&
                  run->stdout_output.total_bytes >= flood.limits.output_kill_bytes &&
                  run->stdout_output.total_bytes < 2 * flood.limits.output_kill_bytes &&
                  run->stdout_output.head.size() + run->stdout_output.tail.size() == 64 * 1024 &&
                  rss_growth < 64 * sandbox::kMiB;
    tally.Attempt("10 GB output flood (capped, killed, memory bounded)", capped,
                  run.ok() ? "total " + std::to_string(run->stdout_output.total_bytes) + " bytes, rss +" +
                                 std::to_string(rss_growth)
                           : run.status().ToString());

    // sleep 1000 with two grandchildren, one in its own session.
    sandbox::Policy quick = policy;
    quick.limits.timeout_seconds = 1;
    const std::string sleeper = "lh-sleep-" + token;
    std::atomic<int> peak{0};
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done) {
        peak = std::max(peak.load(), sandbox_testing::CountProcessesNamed(sleeper));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    run = Run(quick, {"bash", "-c",
                      "(exec -a " + sleeper + " sleep 1000) & setsid bash -c 'exec -a " + sleeper +
                          " sleep 1000' & exec -a " + sleeper + " sleep 1000"});
    done = true;
    watcher.join();
    bool killed = run.ok() && run->timed_out && run->signal == SIGKILL && run->wall_seconds < 5;
    tally.Attempt("sleep 1000 (killed at the timeout, grandchildren included)",
                  killed && peak == 3 && sandbox_testing::CountProcessesNamed(sleeper) == 0,
                  "peak " + std::to_string(peak.load()) + " sleepers, after " +
                      std::to_string(sandbox_testing::CountProcessesNamed(sleeper)));
  }
}
