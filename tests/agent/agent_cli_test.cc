// `longhaul run` and `longhaul resume`, headless: --json events, honest
// exit codes, and clear errors.
#include <sstream>

#include "tests/agent/agent_test_util.h"
#include "tests/testing.h"

namespace {

using namespace agent_test;

std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    INFO(line);
    const auto j = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    lines.push_back(j);
  }
  return lines;
}

std::vector<std::string> Types(const std::vector<nlohmann::json>& lines) {
  std::vector<std::string> types;
  for (const auto& l : lines) {
    const std::string t = l["type"];
    if (t != "token" && t != "prefill_progress") types.push_back(t);
  }
  return types;
}

TEST_CASE("run --json prints one event per line, resume continues without prefill", "[agent][cli]") {
  const std::string repo = MakeRepo({{"a.txt", "alpha\n"}});
  const std::string data = testing::MakeTempDir("lh_agent_cli");
  const std::vector<std::string> common = {"--data-dir", data, "--ctx", "16384", "--kv", "dense", "--json",
                                           "--threads", "2"};
  std::vector<std::string> run = {"run", "--repo", repo, "-m", TinyModelPath(), "--session", "cli",
                                  "--tool-choice", "required", "--max-steps", "2", "-p", "look around"};
  run.insert(run.end(), common.begin(), common.end());
  const auto r = testing::RunLonghaul(run);
  INFO(r.err);
  CHECK(r.exit_code == 3);  // the step limit ended the turn: not "done"
  const auto lines = JsonLines(r.out);
  const std::vector<std::string> expected = {"session_started", "tool_call",  "tool_result", "checkpoint",
                                             "tool_call",       "tool_result", "checkpoint", "turn_done",
                                             "closed"};
  CHECK(Types(lines) == expected);
  CHECK(lines.front()["resumed"] == false);
  int64_t n_past = 0;
  for (const auto& l : lines) {
    if (l["type"] == "checkpoint") n_past = l["n_past"];
    if (l["type"] == "turn_done") CHECK(l["reason"] == "max_steps");
  }
  REQUIRE(n_past > 0);

  std::vector<std::string> resume = {"resume", "cli", "--compare-prefill", "--max-steps", "1", "-p", "again"};
  resume.insert(resume.end(), common.begin(), common.end());
  const auto r2 = testing::RunLonghaul(resume);
  INFO(r2.err);
  CHECK(r2.exit_code == 3);
  const auto lines2 = JsonLines(r2.out);
  REQUIRE_FALSE(lines2.empty());
  CHECK(lines2.front()["type"] == "session_started");
  CHECK(lines2.front()["resumed"] == true);
  CHECK(lines2.front()["restored_tokens"] == n_past);
  CHECK(lines2.front()["reprefill_ms"].get<double>() > 0);
  CHECK(lines2.back()["type"] == "closed");
}

TEST_CASE("run and resume refuse bad input with a clear message", "[agent][cli]") {
  const std::string data = testing::MakeTempDir("lh_agent_cli");
  const auto missing = testing::RunLonghaul({"resume", "nosuch", "--data-dir", data});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("nosuch") != std::string::npos);
  const auto bad_choice = testing::RunLonghaul({"run", "--tool-choice", "sometimes", "--data-dir", data});
  CHECK(bad_choice.exit_code == 2);
  const auto no_repo =
      testing::RunLonghaul({"run", "--repo", data + "/nope", "-m", TinyModelPath(), "--data-dir", data, "-p", "x"});
  CHECK(no_repo.exit_code == 1);
  CHECK(no_repo.err.find("not a directory") != std::string::npos);
  const auto no_model = testing::RunLonghaul({"run", "-m", data + "/missing.gguf", "--data-dir", data, "-p", "x"});
  CHECK(no_model.exit_code == 1);
  CHECK(no_model.err.find("missing.gguf") != std::string::npos);
}

}  // namespace

namespace {

TEST_CASE("bench tools times the code map cold, warm and after one edit", "[agent][cli][bench]") {
  const std::string repo = MakeRepo({{"a.py", "def alpha():\n    return beta()\n"}, {"b.py", "def beta():\n    return 1\n"}});
  const auto r = testing::RunLonghaul(
      {"bench", "tools", "--repo", repo, "--reps", "1", "--generated-files", "30", "--max-tokens", "512"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto out = nlohmann::json::parse(r.out);
  CHECK(out["repo"]["cold"]["parsed"] == 2);
  CHECK(out["repo"]["warm"]["parsed"] == 0);
  CHECK(out["repo"]["warm"]["reused"] == 2);
  CHECK(out["generated"]["cold"]["files"] == 30);
  CHECK(out["generated"]["edit_one_file"]["parsed"] == 1);
  CHECK(out["generated"]["edit_one_file"]["reused"] == 29);
  CHECK(out["generated"]["cold"]["map_tokens"].get<int64_t>() <= 512);
  CHECK(out["generated"]["cold_ms"].get<double>() > 0);

  const auto bad = testing::RunLonghaul({"bench", "tools", "--repo", repo + "/nope"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("not a directory") != std::string::npos);
}

}  // namespace
