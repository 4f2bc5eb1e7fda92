// grep: matching lines, filters, .gitignore, binary files, caps, bad patterns.
#include <catch2/catch.hpp>
#include <chrono>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

tools_testing::Repo SearchRepo() {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write(".gitignore", "build/\n");
  repo.Write("src/a.cc", "int Parse();\n// TODO: parse more\nint parse_all;\n");
  repo.Write("src/b.h", "// todo lower\nint ParseHeader();\n");
  repo.Write("build/gen.cc", "int Parse();\n");
  repo.Write("blob.bin", std::string("Parse\0\x01", 7));
  return repo;
}
}  // namespace

TEST_CASE("grep: matching lines as path:line: text, .gitignore and binaries skipped", "[tools][grep]") {
  auto repo = SearchRepo();
  auto r = Call("grep", {{"pattern", "Parse\\w*\\("}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text == "src/a.cc:1: int Parse();\nsrc/b.h:2: int ParseHeader();\n[2 matches in 2 files]\n"
                  "[skipped 1 binary files and 0 files over 8388608 bytes]\n");
  CHECK(r.details["matches"] == 2);
}

TEST_CASE("grep: case_insensitive, glob filter and a single file", "[tools][grep]") {
  auto repo = SearchRepo();
  auto ci = Call("grep", {{"pattern", "todo"}, {"case_insensitive", true}}, repo.context);
  CHECK(Has(ci.text, "src/a.cc:2: // TODO: parse more\n"));
  CHECK(Has(ci.text, "src/b.h:1: // todo lower\n"));
  auto cc = Call("grep", {{"pattern", "todo"}, {"case_insensitive", true}, {"glob", "*.cc"}}, repo.context);
  CHECK(cc.text == "src/a.cc:2: // TODO: parse more\n[1 matches in 1 files]\n");
  auto file = Call("grep", {{"pattern", "Parse"}, {"path", "build/gen.cc"}}, repo.context);
  CHECK(file.text == "build/gen.cc:1: int Parse();\n[1 matches in 1 files]\n");  // named outright: searched
  auto none = Call("grep", {{"pattern", "nothing_here"}, {"path", "src"}}, repo.context);
  CHECK(!none.is_error);
  CHECK(Has(none.text, "No matches for nothing_here in src (2 files searched)"));
}

TEST_CASE("grep: bad patterns, bad types and outside paths are errors", "[tools][grep]") {
  auto repo = SearchRepo();
  auto bad = Call("grep", {{"pattern", "foo("}}, repo.context);
  CHECK(bad.is_error);
  CHECK(Has(bad.text, "invalid regular expression foo("));
  auto type = Call("grep", {{"pattern", "x"}, {"case_insensitive", "yes"}}, repo.context);
  CHECK(type.is_error);
  CHECK(type.text == "case_insensitive must be true or false (got \"yes\")");
  auto escape = Call("grep", {{"pattern", "root"}, {"path", "/etc/passwd"}}, repo.context);
  CHECK(escape.is_error);
  CHECK(Has(escape.text, "outside the repository"));
}

TEST_CASE("grep: capped at max_matches with a note", "[tools][grep]") {
  auto repo = tools_testing::MakeRepo(false);
  std::string text;
  for (int i = 0; i < 50; ++i) text += "hit " + std::to_string(i) + "\n";
  repo.Write("many.txt", text);
  tools::ToolContext context = repo.context;
  context.limits.max_matches = 3;
  auto r = Call("grep", {{"pattern", "^hit"}}, context);
  CHECK(r.text == "many.txt:1: hit 0\nmany.txt:2: hit 1\nmany.txt:3: hit 2\n[3 matches in 1 files]\n"
                  "[stopped after 3 matches; narrow the pattern, path or glob]\n");
}

TEST_CASE("grep: a catastrophic pattern gives up quickly instead of hanging", "[tools][grep]") {
  auto repo = tools_testing::MakeRepo(false);
  std::string text;
  // 2^40 ways to split the a's before the '!' fails the match.
  for (int i = 0; i < 20; ++i) text += std::string(40, 'a') + "!\n";
  text += "aaa\n";
  repo.Write("aaa.txt", text);
  const auto start = std::chrono::steady_clock::now();
  auto r = Call("grep", {{"pattern", "^(a+)+$"}}, repo.context);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 20);
  CHECK(!r.is_error);
  CHECK(Has(r.text, "aaa.txt:21: aaa\n"));
  CHECK(Has(r.text, "too much backtracking on 20 lines"));
}

TEST_CASE("grep: symlinks to files outside the repository are not read", "[tools][grep]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Symlink("/etc/passwd", "passwd");
  repo.Write("a.txt", "root is not here\n");
  auto r = Call("grep", {{"pattern", "root"}}, repo.context);
  CHECK(r.text == "a.txt:1: root is not here\n[1 matches in 1 files]\n");
}
