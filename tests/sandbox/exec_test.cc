// Running real commands: normal work succeeds, results are reported
// faithfully, and each layer blocks on its own.
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "tests/sandbox/sandbox_testing.h"

namespace {

using sandbox_testing::ProbeLine;
using sandbox_testing::Run;

std::string Out(const base::Result<sandbox::ExecResult>& r) {
  return r.ok() ? r->stdout_output.Text() : "run failed: " + r.status().ToString();
}

// Skips (loudly) unless the kernel offers what the test exercises.
bool KernelHas(bool available, const char* what) {
  if (!available) WARN("SKIPPED: this kernel lacks " << what);
  return available;
}

sandbox::KernelFeatures Only(bool namespaces, int landlock_abi, bool seccomp) {
  const sandbox::KernelFeatures& real = sandbox::ProbeKernelFeatures();
  sandbox::KernelFeatures k;
  k.user_namespace = namespaces && real.user_namespace;
  k.mount_namespace = namespaces && real.mount_namespace;
  k.mount_setattr = namespaces && real.mount_setattr;
  k.pid_namespace = namespaces && real.pid_namespace;
  k.net_namespace = namespaces && real.net_namespace;
  k.ipc_namespace = namespaces && real.ipc_namespace;
  k.uts_namespace = namespaces && real.uts_namespace;
  k.landlock_abi = std::min(landlock_abi, real.landlock_abi);
  k.seccomp_filter = seccomp && real.seccomp_filter;
  return k;
}

}  // namespace

TEST_CASE("exec: a C program compiles and its tests run", "[sandbox][exec]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  if (!sandbox_testing::HostHasProgram("cc")) {
    WARN("SKIPPED: no C compiler on this host");
    return;
  }
  sandbox_testing::WriteFile(s.repo + "/add.c", "int add(int a, int b) { return a + b; }\n");
  sandbox_testing::WriteFile(s.repo + "/add_test.c",
                             "#include <stdio.h>\nint add(int, int);\n"
                             "int main(void) { if (add(2, 3) != 5) return 1; puts(\"1 test passed\"); }\n");
  auto r = Run(sandbox_testing::TestPolicy(s),
               {"sh", "-c", "mkdir -p build && cc -O1 -o build/add_test add.c add_test.c && ./build/add_test"});
  REQUIRE(r.ok());
  INFO(r->stderr_output.Text());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_output.Text() == "1 test passed\n");
  CHECK(sandbox_testing::Exists(s.repo + "/build/add_test"));  // the repo is writable
}

TEST_CASE("exec: git status reads the repository", "[sandbox][exec]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  if (!s.has_git) {
    WARN("SKIPPED: git is not installed");
    return;
  }
  sandbox_testing::WriteFile(s.repo + "/README", "changed\n");
  auto r = Run(sandbox_testing::TestPolicy(s), {"git", "status", "--porcelain"});
  REQUIRE(r.ok());
  INFO(r->stderr_output.Text());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_output.Text() == " M README\n?? probe\n");
  auto log = Run(sandbox_testing::TestPolicy(s), {"git", "log", "--format=%s"});
  CHECK(Out(log) == "init\n");
}

TEST_CASE("exec: a Python script runs", "[sandbox][exec]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  if (!sandbox_testing::HostHasProgram("python3")) {
    WARN("SKIPPED: python3 is not installed on this host");
    return;
  }
  sandbox_testing::WriteFile(s.repo + "/script.py",
                             "import pathlib, tempfile\n"
                             "pathlib.Path('out.txt').write_text('written')\n"
                             "with tempfile.NamedTemporaryFile() as f: f.write(b'x')\n"
                             "print(sum(range(10)))\n");
  auto r = Run(sandbox_testing::TestPolicy(s), {"python3", "script.py"});
  REQUIRE(r.ok());
  INFO(r->stderr_output.Text());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_output.Text() == "45\n");
  CHECK(sandbox_testing::ReadFile(s.repo + "/out.txt") == "written");
}

TEST_CASE("exec: exit codes, signals and missing commands are told apart", "[sandbox][exec]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  auto policy = sandbox_testing::TestPolicy(s);
  auto exited = Run(policy, {"sh", "-c", "echo out; echo err >&2; exit 7"});
  REQUIRE(exited.ok());
  CHECK(exited->termination == sandbox::Termination::kExited);
  CHECK(exited->exit_code == 7);
  CHECK(exited->stdout_output.Text() == "out\n");
  CHECK(exited->stderr_output.Text() == "err\n");
  CHECK_FALSE(exited->timed_out);

  auto crashed = Run(policy, {"sh", "-c", "kill -SEGV $$"});
  REQUIRE(crashed.ok());
  CHECK(crashed->termination == sandbox::Termination::kSignaled);
  CHECK(crashed->signal == SIGSEGV);
  CHECK_FALSE(crashed->timed_out);

  auto missing = Run(policy, {"no-such-command-xyz"});
  REQUIRE(missing.ok());
  CHECK(missing->exit_code == 127);
  CHECK_THAT(missing->stderr_output.Text(), Catch::Contains("command not found"));

  policy.limits.max_file_bytes = 1024 * 1024;
  auto big = Run(policy, {"sh", "-c", "exec head -c 2000000 /dev/zero > big"});
  REQUIRE(big.ok());
  CHECK(big->signal == SIGXFSZ);  // RLIMIT_FSIZE

  for (const auto& layer : exited->layers) {
    INFO(sandbox::LayerName(layer.layer));
    CHECK(layer.state != sandbox::LayerState::kUnavailable);
  }
}

TEST_CASE("exec: ordinary file work inside the repository", "[sandbox][exec]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  auto r = Run(sandbox_testing::TestPolicy(s),
               {"sh", "-c",
                "set -e; mkdir -p a/b c; echo 1 > a/b/f; mv a/b/f c/g; ln -s g c/link; cat c/link; "
                "rm -r a; echo tmp > /tmp/t; cat /tmp/t; echo null > /dev/null; echo via-dev > /dev/stdout; "
                "cd c && pwd"});
  REQUIRE(r.ok());
  INFO(r->stderr_output.Text());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_output.Text() == "1\ntmp\nvia-dev\n" + s.repo + "/c\n");
  CHECK(sandbox_testing::ReadFile(s.repo + "/c/g") == "1\n");
}

TEST_CASE("exec: the environment is scrubbed to the allow-list", "[sandbox][exec]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  ::setenv("LONGHAUL_TEST_SECRET_TOKEN", "hunter2", 1);
  auto r = Run(sandbox_testing::TestPolicy(s), {"env"});
  ::unsetenv("LONGHAUL_TEST_SECRET_TOKEN");
  REQUIRE(r.ok());
  const std::string env = r->stdout_output.Text();
  CHECK(env.find("hunter2") == std::string::npos);
  CHECK(env.find("LONGHAUL_SANDBOX=1\n") != std::string::npos);
  CHECK(env.find("TMPDIR=/tmp\n") != std::string::npos);
}

TEST_CASE("exec: Landlock alone blocks writes outside the repository", "[sandbox][exec][layers]") {
  if (!KernelHas(sandbox::ProbeKernelFeatures().landlock_abi >= 1, "Landlock")) return;
  auto s = sandbox_testing::MakeScratch(false);
  auto policy = sandbox_testing::TestPolicy(s);
  policy.required_layers.clear();
  // No namespaces: the host's /tmp, with `outside` in it, is visible and
  // writable to this (root) process; only Landlock stands in the way.
  auto kernel = Only(/*namespaces=*/false, /*landlock_abi=*/99, /*seccomp=*/false);
  auto r = Run(policy, {"./probe", "write", s.outside + "/x"}, kernel);
  CHECK(ProbeLine(r) == "write: EACCES (Permission denied)");
  CHECK_FALSE(sandbox_testing::Exists(s.outside + "/x"));
  REQUIRE(r.ok());
  CHECK(r->layers[static_cast<int>(sandbox::Layer::kMountNamespace)].state == sandbox::LayerState::kUnavailable);
  CHECK(ProbeLine(Run(policy, {"./probe", "write", s.repo + "/inside"}, kernel)) ==
        "write: OK " + s.repo + "/inside");
}

TEST_CASE("exec: the mount namespace alone blocks writes outside the repository", "[sandbox][exec][layers]") {
  const auto& k = sandbox::ProbeKernelFeatures();
  if (!KernelHas(k.mount_namespace && k.mount_setattr, "a usable mount namespace")) return;
  auto s = sandbox_testing::MakeScratch(true);
  auto policy = sandbox_testing::TestPolicy(s);
  policy.required_layers.clear();
  auto kernel = Only(/*namespaces=*/true, /*landlock_abi=*/0, /*seccomp=*/false);
  auto r = Run(policy, {"./probe", "write", s.outside + "/x"}, kernel);
  CHECK(ProbeLine(r) == (s.outside_visible ? "write: EROFS (Read-only file system)"
                                           : "write: ENOENT (No such file or directory)"));
  CHECK_FALSE(sandbox_testing::Exists(s.outside + "/x"));
  REQUIRE(r.ok());
  CHECK(r->layers[static_cast<int>(sandbox::Layer::kLandlockFilesystem)].state ==
        sandbox::LayerState::kUnavailable);
}

TEST_CASE("exec: seccomp alone denies ptrace", "[sandbox][exec][layers]") {
  if (!KernelHas(sandbox::ProbeKernelFeatures().seccomp_filter, "seccomp filters")) return;
  auto s = sandbox_testing::MakeScratch(false);
  auto policy = sandbox_testing::TestPolicy(s);
  policy.required_layers.clear();
  // PTRACE_TRACEME needs no privilege: only the filter refuses it.
  CHECK(ProbeLine(Run(policy, {"./probe", "ptrace-traceme"}, Only(false, 0, false))) == "ptrace: OK");
  CHECK(ProbeLine(Run(policy, {"./probe", "ptrace-traceme"}, Only(false, 0, true))) ==
        "ptrace: EPERM (Operation not permitted)");
}

TEST_CASE("exec: a kernel without a required layer is refused, and a degraded run says so",
          "[sandbox][exec][layers]") {
  auto s = sandbox_testing::MakeScratch(false);
  auto policy = sandbox_testing::TestPolicy(s);
  auto no_landlock = Only(true, 0, true);
  auto refused = Run(policy, {"true"}, no_landlock);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == base::StatusCode::kFailedPrecondition);
  CHECK_THAT(refused.status().message(), Catch::Contains("landlock_fs"));

  policy.required_layers.clear();
  auto degraded = Run(policy, {"true"}, no_landlock);
  REQUIRE(degraded.ok());
  CHECK(degraded->exit_code == 0);
  CHECK(degraded->layers[static_cast<int>(sandbox::Layer::kLandlockFilesystem)].state ==
        sandbox::LayerState::kUnavailable);
}

TEST_CASE("exec: a non-canonical repository path is rejected", "[sandbox][exec]") {
  auto s = sandbox_testing::MakeScratch(false);
  std::filesystem::create_directory_symlink(s.repo, s.root + "/alias");
  auto policy = sandbox_testing::TestPolicy(s);
  policy.repo_root = s.root + "/alias";
  auto r = Run(policy, {"true"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == base::StatusCode::kInvalidArgument);
}
