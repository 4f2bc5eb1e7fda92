// list_dir: sorted entries, .gitignore respected, capped.
#include <catch2/catch.hpp>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("list_dir: sorted, directories marked, .gitignore and .git hidden", "[tools][list_dir]") {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write(".gitignore", "build/\n*.o\n");
  repo.Write("b.cc", "");
  repo.Write("a.cc", "");
  repo.Write("a.o", "");
  repo.Write("src/x.cc", "");
  repo.Write("build/out", "");
  auto r = Call("list_dir", nlohmann::json::object(), repo.context);
  CHECK(!r.is_error);
  CHECK(r.text == "./ (4 entries)\n.gitignore\na.cc\nb.cc\nsrc/\n[2 entries hidden by .gitignore]\n");
  auto sub = Call("list_dir", {{"path", "src"}}, repo.context);
  CHECK(sub.text == "src/ (1 entries)\nx.cc\n");
}

TEST_CASE("list_dir: a tracked file stays visible even when a pattern matches it", "[tools][list_dir]") {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write(".gitignore", "*.log\n");
  repo.Write("keep.log", "");
  repo.Write("drop.log", "");
  repo.Track("keep.log");
  auto r = Call("list_dir", {{"path", "."}}, repo.context);
  CHECK(Has(r.text, "keep.log\n"));
  CHECK(!Has(r.text, "drop.log"));
}

TEST_CASE("list_dir: outside git only .git is hidden", "[tools][list_dir]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write(".gitignore", "*.o\n");
  repo.Write("a.o", "");
  repo.Mkdir(".git");
  auto r = Call("list_dir", nlohmann::json::object(), repo.context);
  CHECK(r.text == "./ (2 entries)\n.gitignore\na.o\n");
}

TEST_CASE("list_dir: capped at max_matches with a note", "[tools][list_dir]") {
  auto repo = tools_testing::MakeRepo(false);
  for (int i = 0; i < 10; ++i) repo.Write("f" + std::to_string(i), "");
  tools::ToolContext context = repo.context;
  context.limits.max_matches = 3;
  auto r = Call("list_dir", nlohmann::json::object(), context);
  CHECK(r.text == "./ (10 entries)\nf0\nf1\nf2\n[7 more entries not shown (limit 3); use glob with a pattern to "
                  "narrow the listing]\n");
}

TEST_CASE("list_dir: files, missing and outside paths are errors; symlinks show their target", "[tools][list_dir]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("a.txt", "");
  repo.Mkdir("real");
  repo.Symlink("real", "alias");
  repo.Symlink("/etc", "etc");
  auto file = Call("list_dir", {{"path", "a.txt"}}, repo.context);
  CHECK(file.is_error);
  CHECK(Has(file.text, "a.txt is a file"));
  auto missing = Call("list_dir", {{"path", "nope"}}, repo.context);
  CHECK(missing.is_error);
  CHECK(Has(missing.text, "directory not found: nope"));
  auto escape = Call("list_dir", {{"path", "etc"}}, repo.context);
  CHECK(escape.is_error);
  CHECK(Has(escape.text, "outside the repository"));
  auto root = Call("list_dir", nlohmann::json::object(), repo.context);
  CHECK(Has(root.text, "alias/ -> real\n"));
  CHECK(Has(root.text, "etc/ -> /etc\n"));
}

TEST_CASE("list_dir: a root inside a larger work tree uses its rules, unless that tree ignores the root",
          "[tools][list_dir]") {
  auto outer = tools_testing::MakeRepo(true);
  outer.Write(".gitignore", "*.o\nscratch/\n");
  outer.Write("pkg/a.cc", "");
  outer.Write("pkg/a.o", "");
  outer.Write("scratch/b.o", "");
  tools::ToolContext pkg = outer.context;
  pkg.repo_root = outer.root + "/pkg";
  CHECK(Call("list_dir", nlohmann::json::object(), pkg).text ==
        "./ (1 entries)\na.cc\n[1 entries hidden by .gitignore]\n");
  tools::ToolContext scratch = outer.context;
  scratch.repo_root = outer.root + "/scratch";
  CHECK(Call("list_dir", nlohmann::json::object(), scratch).text == "./ (1 entries)\nb.o\n");
  auto git = Call("list_dir", {{"path", ".git"}}, outer.context);
  CHECK(git.is_error);
  CHECK(Has(git.text, "does not show git's own .git directory"));
}
