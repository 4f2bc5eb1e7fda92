// git_status, git_diff, git_log and git_show: output and error paths.
#include <catch2/catch.hpp>

#include "tests/tools/git_testing.h"
#include "tests/tools/tools_testing.h"
#include "tools/git/checkpoints.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("git tools: read-only, and a clear error outside a git repository", "[tools][git]") {
  auto plain = tools_testing::MakeRepo(false);
  const std::vector<std::pair<std::string, nlohmann::json>> calls = {
      {"git_status", nlohmann::json::object()},
      {"git_diff", nlohmann::json::object()},
      {"git_log", nlohmann::json::object()},
      {"git_show", {{"rev", "HEAD"}}}};
  for (const auto& [name, args] : calls) {
    auto r = Call(name, args, plain.context);
    CHECK(r.is_error);
    CHECK(Has(r.text, "is not inside a git repository"));
  }
  for (const auto& tool : tools::BuiltinTools()) {
    if (tool->name().rfind("git_", 0) == 0) CHECK(!tool->is_mutating());
  }
}

TEST_CASE("git_status: branch and staged, unstaged and untracked files", "[tools][git]") {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write("a.txt", "a\n");
  auto empty = Call("git_status", {}, repo.context);
  CHECK(!empty.is_error);
  CHECK(Has(empty.text, "(no commits yet)"));
  CHECK(Has(empty.text, "Untracked (1):\n  a.txt\n"));

  repo.Write(".gitignore", "*.log\n");
  repo.Write("b.txt", "b\n");
  git_testing::CommitAll(repo.root, "first\n");
  auto clean = Call("git_status", {}, repo.context);
  CHECK(Has(clean.text, "On branch "));
  CHECK(Has(clean.text, "working tree clean"));

  repo.Write("a.txt", "a2\n");
  git_testing::Stage(repo.root, "a.txt");
  repo.Write("b.txt", "b2\n");
  repo.Write("new/c.txt", "c\n");
  repo.Write("skip.log", "ignored\n");
  auto r = Call("git_status", {}, repo.context);
  CHECK(Has(r.text, "Staged (1):\n  modified:   a.txt\n"));
  CHECK(Has(r.text, "Not staged (1):\n  modified:   b.txt\n"));
  CHECK(Has(r.text, "Untracked (1):\n  new/c.txt\n"));
  CHECK(!Has(r.text, "skip.log"));
  CHECK(r.details["staged"] == 1);
  auto only_new = Call("git_status", {{"path", "new"}}, repo.context);
  CHECK(Has(only_new.text, "Untracked (1):\n  new/c.txt\n"));
  CHECK(!Has(only_new.text, "a.txt"));
}

TEST_CASE("git_diff: unstaged, staged, a path, and against a checkpoint", "[tools][git]") {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write("a.txt", "one\ntwo\n");
  repo.Write("b.txt", "bee\n");
  git_testing::CommitAll(repo.root, "first\n");
  REQUIRE(tools::git::Snapshot(repo.root, "sess", 4).ok());

  auto none = Call("git_diff", {}, repo.context);
  CHECK(!none.is_error);
  CHECK(Has(none.text, "No differences: unstaged changes"));

  repo.Write("a.txt", "one\nTWO\n");
  repo.Write("b.txt", "bee2\n");
  git_testing::Stage(repo.root, "b.txt");
  repo.Write("fresh.txt", "brand new\n");
  auto unstaged = Call("git_diff", {}, repo.context);
  CHECK(Has(unstaged.text, "1 file changed, 1 insertion(+), 1 deletion(-)"));
  CHECK(Has(unstaged.text, "diff --git a/a.txt b/a.txt\n"));
  CHECK(Has(unstaged.text, "-two\n+TWO\n"));
  CHECK(!Has(unstaged.text, "b.txt"));
  CHECK(!Has(unstaged.text, "fresh.txt"));

  auto staged = Call("git_diff", {{"staged", true}}, repo.context);
  CHECK(Has(staged.text, "-bee\n+bee2\n"));
  CHECK(!Has(staged.text, "a.txt"));

  auto by_path = Call("git_diff", {{"checkpoint", "sess/4"}, {"path", "fresh.txt"}}, repo.context);
  CHECK(Has(by_path.text, "+brand new\n"));
  CHECK(!Has(by_path.text, "a.txt"));
  auto against = Call("git_diff", {{"checkpoint", "refs/longhaul/sess/4"}}, repo.context);
  CHECK(Has(against.text, "3 files changed"));
  CHECK(Has(against.text, "+TWO\n"));

  auto missing = Call("git_diff", {{"checkpoint", "sess/99"}}, repo.context);
  CHECK(missing.is_error);
  CHECK(Has(missing.text, "no checkpoint refs/longhaul/sess/99"));
  auto both = Call("git_diff", {{"checkpoint", "sess/4"}, {"staged", true}}, repo.context);
  CHECK(both.is_error);
  auto outside = Call("git_diff", {{"path", "../elsewhere"}}, repo.context);
  CHECK(outside.is_error);
  CHECK(Has(outside.text, "outside the repository"));
}

TEST_CASE("git_log: newest first, max_count, path filter, empty repository", "[tools][git]") {
  auto repo = tools_testing::MakeRepo(true);
  auto empty = Call("git_log", {}, repo.context);
  CHECK(!empty.is_error);
  CHECK(Has(empty.text, "No commits yet"));

  repo.Write("a.txt", "1\n");
  const std::string first = git_testing::CommitAll(repo.root, "add a\n\nbody text\n");
  repo.Write("b.txt", "2\n");
  const std::string second = git_testing::CommitAll(repo.root, "add b\n");
  auto all = Call("git_log", {}, repo.context);
  CHECK(!all.is_error);
  CHECK(Has(all.text, second.substr(0, 12) + "  2023-11-14 23:13:20 +0100  Test User <test@example.com>  add b\n" +
                          first.substr(0, 12)));
  CHECK(!Has(all.text, "body text"));
  CHECK(all.details["commits"] == 2);
  auto one = Call("git_log", {{"max_count", 1}}, repo.context);
  CHECK(one.details["commits"] == 1);
  CHECK(Has(one.text, "[more commits follow"));
  auto by_path = Call("git_log", {{"path", "a.txt"}}, repo.context);
  CHECK(Has(by_path.text, "add a"));
  CHECK(!Has(by_path.text, "add b"));
  auto bad = Call("git_log", {{"rev", "no-such-branch"}}, repo.context);
  CHECK(bad.is_error);
  CHECK(Has(bad.text, "unknown revision \"no-such-branch\""));
}

TEST_CASE("git_show: header, message and patch, and a bad rev is an error", "[tools][git]") {
  auto repo = tools_testing::MakeRepo(true);
  auto unborn = Call("git_show", {{"rev", "HEAD"}}, repo.context);
  CHECK(unborn.is_error);
  CHECK(Has(unborn.text, "no commits yet"));

  repo.Write("a.txt", "old\n");
  git_testing::CommitAll(repo.root, "first\n");
  repo.Write("a.txt", "new\n");
  const std::string id = git_testing::CommitAll(repo.root, "change a\n\nWhy it changed.\n");
  auto r = Call("git_show", {{"rev", "HEAD"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(Has(r.text, "commit " + id + "\nAuthor: Test User <test@example.com>\nDate:   2023-11-14"));
  CHECK(Has(r.text, "    change a\n    \n    Why it changed.\n"));
  CHECK(Has(r.text, "1 file changed, 1 insertion(+), 1 deletion(-)"));
  CHECK(Has(r.text, "-old\n+new\n"));
  auto root_commit = Call("git_show", {{"rev", "HEAD~1"}}, repo.context);
  CHECK(Has(root_commit.text, "+old\n"));
  auto bad = Call("git_show", {{"rev", "HEAD~5"}}, repo.context);
  CHECK(bad.is_error);
  CHECK(Has(bad.text, "unknown revision \"HEAD~5\""));
  auto missing = Call("git_show", {}, repo.context);
  CHECK(missing.is_error);
}
