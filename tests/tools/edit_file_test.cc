// edit_file: exact unique replacement, and errors that show the way.
#include <catch2/catch.hpp>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* kSource =
    "#include <cstdio>\n"
    "\n"
    "int Add(int a, int b) {\n"
    "  return a + b;\n"
    "}\n"
    "\n"
    "int main() {\n"
    "  std::printf(\"%d\\n\", Add(2, 3));\n"
    "  return 0;\n"
    "}\n";
}  // namespace

TEST_CASE("edit_file: replaces the one occurrence and shows the result", "[tools][edit_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("main.cc", kSource);
  auto r = Call("edit_file", {{"path", "main.cc"}, {"old_text", "  return a + b;\n"},
                              {"new_text", "  int sum = a + b;\n  return sum;\n"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(Has(r.text, "Edited main.cc: replaced 1 line(s) at line 4 with 2 line(s)"));
  CHECK(Has(r.text, "   5\t  return sum;\n"));
  CHECK(r.details["line"] == 4);
  const std::string after = repo.Read("main.cc");
  CHECK(Has(after, "int Add(int a, int b) {\n  int sum = a + b;\n  return sum;\n}\n"));
  CHECK(!Has(after, "return a + b"));
}

TEST_CASE("edit_file: a missing old_text shows the nearest lines of the file", "[tools][edit_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("main.cc", kSource);
  auto r = Call("edit_file", {{"path", "main.cc"}, {"old_text", "int Add(int x, int y) {\n  return x + y;\n"},
                              {"new_text", "int Add(int x, int y) { return x + y; }\n"}}, repo.context);
  CHECK(r.is_error);
  CHECK(Has(r.text, "old_text was not found in main.cc"));
  CHECK(Has(r.text, "near line 3"));
  CHECK(Has(r.text, "   3\tint Add(int a, int b) {\n   4\t  return a + b;\n"));
  CHECK(repo.Read("main.cc") == kSource);
}

TEST_CASE("edit_file: a whitespace-only mismatch says so", "[tools][edit_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("main.cc", kSource);
  auto r = Call("edit_file", {{"path", "main.cc"}, {"old_text", "int main() {\n    std::printf("},
                              {"new_text", "x"}}, repo.context);
  CHECK(r.is_error);
  CHECK(Has(r.text, "matches near line 7 if whitespace is ignored"));
  CHECK(Has(r.text, "   8\t  std::printf"));
}

TEST_CASE("edit_file: an ambiguous old_text names every matching line", "[tools][edit_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("main.cc", kSource);
  auto r = Call("edit_file", {{"path", "main.cc"}, {"old_text", "}\n"}, {"new_text", "};\n"}}, repo.context);
  CHECK(r.is_error);
  CHECK(Has(r.text, "old_text occurs 2 times in main.cc (starting at lines 5, 10)"));
  auto overlapping = tools_testing::MakeRepo(false);
  overlapping.Write("a.txt", "aaa\n");
  auto o = Call("edit_file", {{"path", "a.txt"}, {"old_text", "aa"}, {"new_text", "b"}}, overlapping.context);
  CHECK(o.is_error);
  CHECK(Has(o.text, "occurs 2 times"));
  CHECK(repo.Read("main.cc") == kSource);
}

TEST_CASE("edit_file: empty or unchanged old_text and missing files are errors", "[tools][edit_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("main.cc", kSource);
  auto empty = Call("edit_file", {{"path", "main.cc"}, {"old_text", ""}, {"new_text", "x"}}, repo.context);
  CHECK(empty.is_error);
  CHECK(Has(empty.text, "old_text is empty"));
  auto same = Call("edit_file", {{"path", "main.cc"}, {"old_text", "main"}, {"new_text", "main"}}, repo.context);
  CHECK(same.is_error);
  CHECK(Has(same.text, "the same"));
  auto missing = Call("edit_file", {{"path", "nope.cc"}, {"old_text", "a"}, {"new_text", "b"}}, repo.context);
  CHECK(missing.is_error);
  CHECK(Has(missing.text, "file not found: nope.cc; use write_file"));
  auto escape = Call("edit_file", {{"path", "../main.cc"}, {"old_text", "a"}, {"new_text", "b"}}, repo.context);
  CHECK(escape.is_error);
  CHECK(Has(escape.text, "outside the repository"));
  auto bad_type = Call("edit_file", {{"path", "main.cc"}, {"old_text", 3}, {"new_text", "b"}}, repo.context);
  CHECK(bad_type.is_error);
  CHECK(bad_type.text == "old_text must be a string (got 3)");
}

TEST_CASE("edit_file: files with CRLF line ends match old_text written with \\n", "[tools][edit_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("win.txt", "one\r\ntwo\r\nthree\r\n");
  auto r = Call("edit_file", {{"path", "win.txt"}, {"old_text", "one\ntwo\n"}, {"new_text", "1\n2\n"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(repo.Read("win.txt") == "1\r\n2\r\nthree\r\n");
}
