// glob: pattern syntax, sorting, .gitignore, caps.
#include <catch2/catch.hpp>

#include "tests/tools/tools_testing.h"
#include "tools/glob_pattern.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool Matches(const char* pattern, const char* path) {
  auto g = tools::GlobPattern::Parse(pattern);
  REQUIRE(g.ok());
  return g->Matches(path);
}
}  // namespace

TEST_CASE("GlobPattern: *, ?, ** and classes", "[tools][glob]") {
  CHECK(Matches("*.cc", "a.cc"));
  CHECK(!Matches("*.cc", "src/a.cc"));
  CHECK(Matches("src/**/*.cc", "src/a.cc"));
  CHECK(Matches("src/**/*.cc", "src/x/y/a.cc"));
  CHECK(!Matches("src/**/*.cc", "lib/a.cc"));
  CHECK(Matches("**", "a/b/c"));
  CHECK(Matches("**/CMakeLists.txt", "CMakeLists.txt"));
  CHECK(Matches("a?.txt", "ab.txt"));
  CHECK(!Matches("a?.txt", "a/.txt"));
  CHECK(Matches("[abc].h", "b.h"));
  CHECK(!Matches("[abc].h", "d.h"));
  CHECK(Matches("[a-c]x", "cx"));
  CHECK(Matches("[!a-c]x", "dx"));
  CHECK(!Matches("[!a-c]x", "ax"));
  CHECK(Matches("*a*a*a*b", std::string(30, 'a').append("b").c_str()));
  CHECK(!Matches("*a*a*a*b", std::string(40, 'a').c_str()));
  CHECK(!tools::GlobPattern::Parse("src/[ab").ok());
  CHECK(!tools::GlobPattern::Parse("/etc/*").ok());
  CHECK(!tools::GlobPattern::Parse("../*").ok());
}

TEST_CASE("glob: sorted matches from the repository root, .gitignore respected", "[tools][glob]") {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write(".gitignore", "build/\ngen_*.cc\n");
  repo.Write("src/b.cc", "");
  repo.Write("src/a.cc", "");
  repo.Write("src/sub/c.cc", "");
  repo.Write("src/gen_x.cc", "");
  repo.Write("src/tracked_gen/gen_y.cc", "");
  repo.Track("src/tracked_gen/gen_y.cc");
  repo.Write("build/d.cc", "");
  repo.Write("top.cc", "");
  auto r = Call("glob", {{"pattern", "**/*.cc"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text == "src/a.cc\nsrc/b.cc\nsrc/sub/c.cc\nsrc/tracked_gen/gen_y.cc\ntop.cc\n");
  auto under = Call("glob", {{"pattern", "*.cc"}, {"path", "src"}}, repo.context);
  CHECK(under.text == "src/a.cc\nsrc/b.cc\n");
}

TEST_CASE("glob: no match explains, a bad pattern is an error, many matches are capped", "[tools][glob]") {
  auto repo = tools_testing::MakeRepo(false);
  for (int i = 0; i < 5; ++i) repo.Write("src/f" + std::to_string(i) + ".cc", "");
  auto none = Call("glob", {{"pattern", "*.cc"}}, repo.context);
  CHECK(!none.is_error);
  CHECK(Has(none.text, "No files match *.cc"));
  CHECK(Has(none.text, "use \"**/*.cc\""));
  auto bad = Call("glob", {{"pattern", "src/[ab"}}, repo.context);
  CHECK(bad.is_error);
  CHECK(Has(bad.text, "without a closing"));
  auto escape = Call("glob", {{"pattern", "*"}, {"path", ".."}}, repo.context);
  CHECK(escape.is_error);
  tools::ToolContext context = repo.context;
  context.limits.max_matches = 2;
  auto capped = Call("glob", {{"pattern", "**/*.cc"}}, context);
  CHECK(capped.text == "src/f0.cc\nsrc/f1.cc\n[stopped after 2 matches; there are more. Narrow the pattern or path]\n");
  CHECK(capped.details["capped"] == true);
}

TEST_CASE("glob: symlinked directories are not followed out of the repository", "[tools][glob]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Symlink("/etc", "etc");
  repo.Write("a.conf", "");
  auto r = Call("glob", {{"pattern", "**/*.conf"}}, repo.context);
  CHECK(r.text == "a.conf\n");
}
