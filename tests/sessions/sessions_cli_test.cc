// `longhaul generate --session` and `longhaul sessions ...`, run as the
// built binary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/testing.h"

namespace {

const std::vector<std::string> kKv = {"--kv", "tiered:sink=4,window=64,unit=4,block=32,topk=4,dense_layers=0"};

std::vector<std::string> Args(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

testing::CommandResult Run(const std::vector<std::string>& args) {
  auto r = testing::RunLonghaul(args);
  INFO(r.err);
  return r;
}

}  // namespace

TEST_CASE("generate --session continues exactly where it stopped", "[sessions][cli]") {
  REQUIRE_TESTDATA(testdata);
  const std::string model = testdata + "/models/stories260K.gguf";
  const std::string data = testing::MakeTempDir("lh_sess_cli");
  const std::vector<std::string> common = {"-m", model, "--seed", "7", "--ignore-eos", "-t", "2"};

  auto whole = Run(Args(Args({"generate", "-p", "Once upon a time", "-n", "80"}, common), kKv));
  REQUIRE(whole.exit_code == 0);

  auto first = Run(Args(
      Args({"generate", "-p", "Once upon a time", "-n", "40", "--session", "story", "--data-dir", data}, common), kKv));
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.find("new session") != std::string::npos);
  // The second run names no policy: the session's own is used.
  auto second = Run(Args({"generate", "-n", "40", "--session", "story", "--data-dir", data}, common));
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("restored 45 tokens") != std::string::npos);
  CHECK(second.err.find(" ms]") != std::string::npos);
  // Same seed, same tokens: the two halves are the uninterrupted run
  // (each half ends with a newline).
  auto strip_nl = [](std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  CHECK(strip_nl(first.out) + strip_nl(second.out) == strip_nl(whole.out));

  // A different policy is refused with both named.
  auto wrong = Run(Args({"generate", "-n", "4", "--session", "story", "--data-dir", data, "--kv", "dense"}, common));
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("KV policy") != std::string::npos);

  // sessions ls / show / fork / export / rm / gc, all with --json.
  auto ls = Run({"sessions", "ls", "--data-dir", data, "--json"});
  REQUIRE(ls.exit_code == 0);
  auto list = nlohmann::json::parse(ls.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "story");
  CHECK(list[0]["tokens"] == 85);
  CHECK(list[0]["checkpoints"] == 2);

  auto show = Run({"sessions", "show", "story", "--data-dir", data, "--json"});
  REQUIRE(show.exit_code == 0);
  auto info = nlohmann::json::parse(show.out);
  REQUIRE(info["checkpoint_list"].size() == 2);
  const int64_t first_ckpt = info["checkpoint_list"][0]["id"];

  auto fork = Run({"sessions", "fork", "story", "--at", std::to_string(first_ckpt), "--name", "branch", "--data-dir",
                   data, "--json"});
  REQUIRE(fork.exit_code == 0);
  CHECK(nlohmann::json::parse(fork.out)["tokens"] == 45);
  // Continuing the fork from its checkpoint gives the original's second half.
  auto branch = Run(Args({"generate", "-n", "40", "--session", "branch", "--data-dir", data}, common));
  REQUIRE(branch.exit_code == 0);
  CHECK(branch.out == second.out);

  auto exported = Run({"sessions", "export", "story", "--data-dir", data, "--json"});
  REQUIRE(exported.exit_code == 0);
  std::vector<nlohmann::json> lines;
  size_t pos = 0;
  while (pos < exported.out.size()) {
    const size_t nl = exported.out.find('\n', pos);
    lines.push_back(nlohmann::json::parse(exported.out.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  REQUIRE(lines.size() == 3);  // prompt, completion, completion
  CHECK(lines[0]["kind"] == "prompt");
  CHECK(lines[0]["payload"]["text"] == "Once upon a time");
  CHECK(lines[2]["seq"] == 3);
  // The fork's log starts with what it inherits from the parent.
  auto branch_exported = Run({"sessions", "export", "branch", "--data-dir", data, "--json"});
  REQUIRE(branch_exported.exit_code == 0);
  std::vector<nlohmann::json> branch_lines;
  for (size_t at = 0; at < branch_exported.out.size();) {
    const size_t nl = branch_exported.out.find('\n', at);
    branch_lines.push_back(nlohmann::json::parse(branch_exported.out.substr(at, nl - at)));
    at = nl + 1;
  }
  REQUIRE(branch_lines.size() >= 2);
  CHECK(branch_lines.front()["kind"] == "prompt");
  CHECK(branch_lines.front()["session_id"] == lines.front()["session_id"]);
  CHECK(branch_lines.back()["session_id"] != lines.front()["session_id"]);

  // rm the parent: the fork still resumes; gc keeps what it reaches.
  REQUIRE(Run({"sessions", "rm", "story", "--data-dir", data, "--json"}).exit_code == 0);
  auto gc = Run({"sessions", "gc", "--data-dir", data, "--json"});
  REQUIRE(gc.exit_code == 0);
  CHECK(nlohmann::json::parse(gc.out)["checkpoints_removed"] == 1);
  auto again = Run(Args({"generate", "-n", "4", "--session", "branch", "--data-dir", data}, common));
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("restored 85 tokens") != std::string::npos);

  auto missing = Run({"sessions", "show", "story", "--data-dir", data});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("no session named") != std::string::npos);
}

TEST_CASE("generate without --session still needs a prompt", "[sessions][cli]") {
  auto r = testing::RunLonghaul({"generate", "-m", "/nonexistent.gguf"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--prompt is required") != std::string::npos);
}
