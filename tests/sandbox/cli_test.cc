// `longhaul exec` and `longhaul __sandbox-exec`, run as a user would.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/sandbox/sandbox_testing.h"
#include "tests/testing.h"

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout; stderr is merged in when `merge_stderr`
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliRun Longhaul(const std::vector<std::string>& args, bool merge_stderr) {
  std::string cmd = Quote(testing::LonghaulBinary());
  for (const std::string& a : args) cmd += " " + Quote(a);
  cmd += merge_stderr ? " 2>&1" : " 2>/dev/null";
  CliRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) run.out.append(buf, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

}  // namespace

TEST_CASE("cli: longhaul exec prints the output and a status line", "[sandbox][cli]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  auto run = Longhaul({"exec", "--repo", s.repo, "--", "sh", "-c", "echo hello; exit 3"}, true);
  INFO(run.out);
  CHECK(run.exit_code == 3);
  CHECK(run.out.rfind("hello\n", 0) == 0);
  CHECK_THAT(run.out, Catch::Contains("[longhaul exec] exit 3") && Catch::Contains("confined by:") &&
                          Catch::Contains("seccomp"));
}

TEST_CASE("cli: longhaul exec --json prints one JSON result", "[sandbox][cli]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  auto run = Longhaul({"exec", "--repo", s.repo, "--json", "--", "sh", "-c", "echo hi; echo oops >&2"}, false);
  INFO(run.out);
  CHECK(run.exit_code == 0);
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["exit"]["status"] == "exited");
  CHECK(j["exit"]["code"] == 0);
  CHECK(j["stdout"]["text"] == "hi\n");
  CHECK(j["stderr"]["text"] == "oops\n");
  CHECK(j["timed_out"] == false);
  REQUIRE(j["layers"].is_array());
  CHECK(j["layers"].size() == std::size(sandbox::kAllLayers));
  CHECK(run.out.find('\n') == run.out.size() - 1);  // one line
}

TEST_CASE("cli: longhaul exec --timeout kills and reports 124", "[sandbox][cli]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  auto run = Longhaul({"exec", "--repo", s.repo, "--timeout", "0.5", "--json", "--", "sleep", "1000"}, false);
  INFO(run.out);
  CHECK(run.exit_code == 124);
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["timed_out"] == true);
  CHECK(j["exit"]["signal_name"] == "SIGKILL");
}

TEST_CASE("cli: longhaul exec keeps its own memory bounded under a flood", "[sandbox][cli]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  // 300 MB of output through the CLI with a 64 KiB cap: if longhaul stored
  // it, its peak RSS would exceed that.
  auto run = Longhaul({"exec", "--repo", s.repo, "--output-cap", "65536", "--json", "--", "head", "-c",
                       "300000000", "/dev/zero"},
                      false);
  INFO(run.out.substr(0, 300));
  CHECK(run.exit_code == 0);
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["stdout"]["total_bytes"] == 300000000);
  CHECK(j["stdout"]["dropped_bytes"] == 300000000 - 65536);
  struct rusage children;
  ::getrusage(RUSAGE_CHILDREN, &children);
  CHECK(children.ru_maxrss * 1024L < 200L * 1024 * 1024);
}

TEST_CASE("cli: the sandboxed command dies with longhaul", "[sandbox][cli]") {
  REQUIRE_FULL_SANDBOX();
  auto s = sandbox_testing::MakeScratch(false);
  const std::string marker = "lh-orphan-" + std::to_string(::getpid());
  const std::string binary = testing::LonghaulBinary();
  const std::string script = "exec -a " + marker + " sleep 1000";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(binary.c_str(), "longhaul", "exec", "--repo", s.repo.c_str(), "--", "bash", "-c",
            script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    seen = sandbox_testing::CountProcessesNamed(marker) == 1;
    if (!seen) ::usleep(25000);
  }
  ::kill(pid, SIGKILL);  // longhaul crashes mid-command
  ::waitpid(pid, nullptr, 0);
  int left = -1;
  for (int i = 0; i < 80 && left != 0; ++i) {
    left = sandbox_testing::CountProcessesNamed(marker);
    if (left != 0) ::usleep(25000);
  }
  CHECK(seen);
  CHECK(left == 0);
}

TEST_CASE("cli: usage errors", "[sandbox][cli]") {
  CHECK(Longhaul({"exec", "--", "true"}, true).exit_code == 2);  // no --repo
  auto helper = Longhaul({"__sandbox-exec"}, true);
  CHECK(helper.exit_code == 2);
  CHECK_THAT(helper.out, Catch::Contains("usage: longhaul __sandbox-exec"));
  auto bad_plan = Longhaul({"__sandbox-exec", "--plan", "{}", "--", "true"}, true);
  CHECK(bad_plan.exit_code == 125);  // refused before running anything
  auto missing_repo = Longhaul({"exec", "--repo", "/no/such/repo", "--", "true"}, true);
  CHECK(missing_repo.exit_code == 125);
  CHECK_THAT(missing_repo.out, Catch::Contains("/no/such/repo"));
}
