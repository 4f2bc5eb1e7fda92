// SpawnSandboxed: a long-lived confined process the caller talks to over
// pipes. Where the kernel lacks a layer the default policy requires, the
// tests run degraded (and say so): what they check is the process
// plumbing, and the refusal itself is checked with a pretend kernel.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "sandbox/sandbox.h"
#include "tests/testing.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

std::string Canonical(const std::string& path) {
  char real[PATH_MAX];
  return ::realpath(path.c_str(), real) != nullptr ? std::string(real) : path;
}

std::string MissingLayers() {
  const sandbox::KernelFeatures& k = sandbox::ProbeKernelFeatures();
  std::string missing;
  if (!k.user_namespace) missing += " user_ns";
  if (!k.mount_namespace || !k.mount_setattr) missing += " mount_ns";
  if (!k.pid_namespace) missing += " pid_ns";
  if (!k.net_namespace) missing += " net_ns";
  if (!k.ipc_namespace) missing += " ipc_ns";
  if (!k.uts_namespace) missing += " uts_ns";
  if (k.landlock_abi < 1) missing += " landlock_fs";
  if (!k.seccomp_filter) missing += " seccomp";
  return missing;
}

struct Setup {
  sandbox::Policy policy;
  sandbox::ExecOptions options;
};

Setup MakeSetup() {
  const std::string root = Canonical(testing::MakeTempDir("longhaul-spawn"));
  Setup s;
  s.policy = sandbox::DefaultPolicy(root, "");
  s.policy.limits.timeout_seconds = 30;
  s.policy.limits.address_space_bytes = 4 * sandbox::kGiB;
  s.policy.limits.output_cap_bytes = 4096;
  const std::string missing = MissingLayers();
  if (!missing.empty()) {
    WARN("this kernel lacks" << missing << "; spawning degraded (the refusal is tested separately)");
    s.policy.required_layers.clear();
  }
  s.options.helper_binary = SANDBOX_SPAWN_HELPER;
  return s;
}

sandbox::CommandSpec Command(std::vector<std::string> argv) {
  sandbox::CommandSpec c;
  c.argv = std::move(argv);
  for (char** e = environ; *e != nullptr; ++e) c.inherited_env.emplace_back(*e);
  return c;
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    pollfd p = {fd, POLLOUT, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads until `want` bytes arrived, end of file, or 10 s passed.
std::string ReadSome(int fd, size_t want) {
  std::string out;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (out.size() < want && Clock::now() < deadline) {
    pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("spawn: cat echoes what it is sent, and exits 0 at end of input", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  auto spawned = sandbox::SpawnSandboxed(s.policy, Command({"cat"}), s.options);
  REQUIRE(spawned.ok());
  sandbox::SandboxedProcess& p = **spawned;
  CHECK(p.layers().size() == std::size(sandbox::kAllLayers));
  REQUIRE(WriteAll(p.stdin_fd(), "hello\n"));
  CHECK(ReadSome(p.stdout_fd(), 6) == "hello\n");
  REQUIRE(WriteAll(p.stdin_fd(), "second line\n"));
  CHECK(ReadSome(p.stdout_fd(), 12) == "second line\n");
  CHECK_FALSE(p.TryWait().has_value());  // still running, waiting for input
  p.CloseStdin();
  CHECK(p.stdin_fd() == -1);
  auto exit = p.Wait(10);
  REQUIRE(exit.has_value());
  CHECK(exit->termination == sandbox::Termination::kExited);
  CHECK(exit->exit_code == 0);
  CHECK(ReadSome(p.stdout_fd(), 1).empty());  // end of file
}

TEST_CASE("spawn: Kill ends the whole process group", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  // A child that outlives its shell would keep stdout open: killing the
  // group is what brings end of file.
  auto spawned = sandbox::SpawnSandboxed(
      s.policy, Command({"/bin/sh", "-c", "sleep 60 & echo started; wait"}), s.options);
  REQUIRE(spawned.ok());
  sandbox::SandboxedProcess& p = **spawned;
  CHECK(ReadSome(p.stdout_fd(), 8) == "started\n");
  CHECK_FALSE(p.Wait(0.2).has_value());
  const auto start = Clock::now();
  p.Kill();
  auto exit = p.Wait(10);
  REQUIRE(exit.has_value());
  CHECK(exit->termination == sandbox::Termination::kSignaled);
  CHECK(exit->signal == SIGKILL);
  CHECK(exit->Describe() == "killed by signal 9 (SIGKILL)");
  CHECK(ReadSome(p.stdout_fd(), 1).empty());  // the backgrounded sleep is gone too
  CHECK(Clock::now() - start < std::chrono::seconds(5));
  p.Kill();  // idempotent
}

TEST_CASE("spawn: a crash is told apart from an exit, and stderr is kept", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  auto crash = sandbox::SpawnSandboxed(
      s.policy, Command({"/bin/sh", "-c", "echo about to crash >&2; kill -SEGV $$"}), s.options);
  REQUIRE(crash.ok());
  auto exit = (*crash)->Wait(10);
  REQUIRE(exit.has_value());
  CHECK(exit->termination == sandbox::Termination::kSignaled);
  CHECK(exit->signal == SIGSEGV);
  // The drain thread may lag the exit by a moment.
  for (int i = 0; i < 100 && (*crash)->StderrOutput().total_bytes == 0; ++i) ::usleep(10000);
  CHECK((*crash)->StderrOutput().Text() == "about to crash\n");

  auto exits = sandbox::SpawnSandboxed(s.policy, Command({"/bin/sh", "-c", "exit 3"}), s.options);
  REQUIRE(exits.ok());
  auto code = (*exits)->Wait(10);
  REQUIRE(code.has_value());
  CHECK(code->termination == sandbox::Termination::kExited);
  CHECK(code->exit_code == 3);
  CHECK(code->Describe() == "exit code 3");
}

TEST_CASE("spawn: a missing command starts, then exits 127 saying why", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  auto spawned = sandbox::SpawnSandboxed(s.policy, Command({"no-such-command-xyz"}), s.options);
  REQUIRE(spawned.ok());
  auto exit = (*spawned)->Wait(10);
  REQUIRE(exit.has_value());
  CHECK(exit->exit_code == 127);
  for (int i = 0; i < 100 && (*spawned)->StderrOutput().total_bytes == 0; ++i) ::usleep(10000);
  CHECK_THAT((*spawned)->StderrOutput().Text(), Catch::Contains("command not found"));
}

TEST_CASE("spawn: stderr is drained past its cap, so a chatty server never blocks", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  // 1 MB on stderr, far beyond the pipe buffer and the 4 KiB cap, then a
  // line on stdout: it arrives only if stderr was drained all along.
  auto spawned = sandbox::SpawnSandboxed(
      s.policy, Command({"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo done"}),
      s.options);
  REQUIRE(spawned.ok());
  CHECK(ReadSome((*spawned)->stdout_fd(), 5) == "done\n");
  REQUIRE((*spawned)->Wait(10).has_value());
  for (int i = 0; i < 100 && (*spawned)->StderrOutput().total_bytes < 1000000; ++i) ::usleep(10000);
  sandbox::CapturedOutput err = (*spawned)->StderrOutput();
  CHECK(err.total_bytes == 1000000);
  CHECK(err.head.size() + err.tail.size() == 4096);
}

TEST_CASE("spawn: a kernel without a required layer is refused", "[sandbox][spawn][layers]") {
  Setup s = MakeSetup();
  s.policy = sandbox::DefaultPolicy(s.policy.repo_root, "");
  sandbox::KernelFeatures none;  // nothing at all
  s.options.kernel_override = none;
  auto refused = sandbox::SpawnSandboxed(s.policy, Command({"cat"}), s.options);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == base::StatusCode::kFailedPrecondition);
  CHECK_THAT(refused.status().message(), Catch::Contains("user_ns"));
}

TEST_CASE("spawn: destroying the process kills and reaps it", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  pid_t pid = 0;
  {
    auto spawned = sandbox::SpawnSandboxed(s.policy, Command({"sleep", "60"}), s.options);
    REQUIRE(spawned.ok());
    pid = (*spawned)->pid();
    CHECK(::kill(pid, 0) == 0);
  }
  // Reaped: the pid no longer names our child (ESRCH, barring reuse).
  CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("spawn: the process outlives the thread that spawned it", "[sandbox][spawn]") {
  Setup s = MakeSetup();
  std::unique_ptr<sandbox::SandboxedProcess> process;
  // The helper dies with its parent; the parent must not be this thread.
  std::thread([&] {
    auto spawned = sandbox::SpawnSandboxed(s.policy, Command({"cat"}), s.options);
    if (spawned.ok()) process = std::move(*spawned);
  }).join();
  REQUIRE(process != nullptr);
  ::usleep(200000);
  CHECK_FALSE(process->TryWait().has_value());
  REQUIRE(WriteAll(process->stdin_fd(), "still alive\n"));
  CHECK(ReadSome(process->stdout_fd(), 12) == "still alive\n");
}

TEST_CASE("run: stdin_data is the command's input, and cannot be written", "[sandbox][exec]") {
  Setup s = MakeSetup();
  s.options.stdin_data = "line one\nline two\n";
  auto r = sandbox::RunSandboxed(s.policy, Command({"cat"}), s.options);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_output.Text() == "line one\nline two\n");
  auto write = sandbox::RunSandboxed(s.policy, Command({"/bin/sh", "-c", "echo x >&0 && echo wrote || echo refused"}),
                                     s.options);
  REQUIRE(write.ok());
  CHECK(write->stdout_output.Text() == "refused\n");
  s.options.stdin_data.clear();  // /dev/null
  auto empty = sandbox::RunSandboxed(s.policy, Command({"wc", "-c"}), s.options);
  REQUIRE(empty.ok());
  CHECK(empty->stdout_output.Text() == "0\n");
}
