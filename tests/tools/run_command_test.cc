// run_command through the real sandbox (skipped, loudly, where the kernel
// lacks a layer the default policy requires).
#include <catch2/catch.hpp>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

tools_testing::Repo SandboxRepo() {
  auto repo = tools_testing::MakeRepo(false);
  repo.context.helper_binary = TOOLS_SANDBOX_HELPER;
  repo.context.limits.command_timeout_seconds = 30;
  return repo;
}

}  // namespace

#define REQUIRE_FULL_SANDBOX()                                                          \
  do {                                                                                  \
    const std::string lh_missing = ::tools_testing::MissingSandboxLayers();            \
    if (!lh_missing.empty()) {                                                          \
      WARN("SKIPPED: this kernel lacks" << lh_missing << "; the test needs every layer"); \
      return;                                                                           \
    }                                                                                   \
  } while (0)

TEST_CASE("run_command: runs a shell line at the repository root and reports exit 0", "[tools][run_command]") {
  REQUIRE_FULL_SANDBOX();
  auto repo = SandboxRepo();
  repo.Write("hello.txt", "hi there\n");
  auto r = Call("run_command", {{"command", "cat hello.txt | tr a-z A-Z && echo made > out.txt"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text.rfind("exit code 0 · ", 0) == 0);
  CHECK(Has(r.text, "--- stdout (9 bytes) ---\nHI THERE\n"));
  CHECK(r.details["exit_code"] == 0);
  CHECK(r.details["timed_out"] == false);
  CHECK(repo.Read("out.txt") == "made\n");  // the repository is writable
}

TEST_CASE("run_command: a failing command is a normal result with its exit code", "[tools][run_command]") {
  REQUIRE_FULL_SANDBOX();
  auto repo = SandboxRepo();
  auto r = Call("run_command", {{"command", "echo oops >&2; exit 3"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text.rfind("exit code 3 · ", 0) == 0);
  CHECK(Has(r.text, "--- stderr (5 bytes) ---\noops\n"));
  CHECK(r.details["exit_code"] == 3);
}

TEST_CASE("run_command: a command past its timeout is killed and says so", "[tools][run_command]") {
  REQUIRE_FULL_SANDBOX();
  auto repo = SandboxRepo();
  auto r = Call("run_command", {{"command", "echo started; sleep 30"}, {"timeout_seconds", 1}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text.rfind("exit code 124 (timed out after 1.00 s", 0) == 0);
  CHECK(Has(r.text, "started\n"));
  CHECK(r.details["timed_out"] == true);
  CHECK(r.details["wall_seconds"].get<double>() < 15);
  repo.context.limits.command_timeout_seconds = 1;
  auto capped = Call("run_command", {{"command", "sleep 30"}, {"timeout_seconds", 500}}, repo.context);
  CHECK(Has(capped.text, "timeout_seconds was capped at the session's limit of 1.00 s"));
  CHECK(capped.details["timed_out"] == true);
}

TEST_CASE("run_command: long output is cut head and tail, the whole kept", "[tools][run_command]") {
  REQUIRE_FULL_SANDBOX();
  auto repo = SandboxRepo();
  repo.context.limits.model_output_bytes = 2000;
  repo.context.output_id = "cmd-9";
  auto r = Call("run_command", {{"command", "seq 1 5000"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.truncated);
  CHECK(r.text.size() <= 2000);
  CHECK(r.text.rfind("exit code 0", 0) == 0);  // the status line survives the cut
  CHECK(Has(r.text, "read_output with output_id=\"cmd-9\""));
  CHECK(Has(r.text, "\n5000\n"));
  CHECK(Has(r.full_output, "\n2500\n"));
  CHECK(!Has(r.text, "\n2500\n"));
}

TEST_CASE("run_command: bad arguments are tool errors", "[tools][run_command]") {
  auto repo = SandboxRepo();
  auto empty = Call("run_command", {{"command", "  "}}, repo.context);
  CHECK(empty.is_error);
  CHECK(empty.text == "the command is empty");
  auto argv = Call("run_command", {{"command", {"ls", "-l"}}}, repo.context);
  CHECK(argv.is_error);
  CHECK(Has(argv.text, "command must be a string"));
  auto timeout = Call("run_command", {{"command", "true"}, {"timeout_seconds", -2}}, repo.context);
  CHECK(timeout.is_error);
  CHECK(Has(timeout.text, "timeout_seconds must be a positive number"));
}
