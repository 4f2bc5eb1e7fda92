// read_file: numbered lines, ranges, and the ways a read can fail.
#include <catch2/catch.hpp>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("read_file: numbers every line and says how many there are", "[tools][read_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("a.txt", "first\nsecond\nthird\n");
  auto r = Call("read_file", {{"path", "a.txt"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text == "a.txt (3 lines)\n   1\tfirst\n   2\tsecond\n   3\tthird\n");
  CHECK(r.details["total_lines"] == 3);
  CHECK(!r.truncated);
}

TEST_CASE("read_file: a line range shows only those lines and what is left", "[tools][read_file]") {
  auto repo = tools_testing::MakeRepo(false);
  std::string text;
  for (int i = 1; i <= 20; ++i) text += "line" + std::to_string(i) + "\n";
  repo.Write("a.txt", text);
  auto r = Call("read_file", {{"path", "a.txt"}, {"start_line", 12}, {"end_line", 13.0}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text == "a.txt (20 lines; showing lines 12-13)\n  12\tline12\n  13\tline13\n"
                  "[7 more lines; read from start_line=14]\n");
  auto tail = Call("read_file", {{"path", "a.txt"}, {"start_line", 19}, {"end_line", 500}}, repo.context);
  CHECK(Has(tail.text, "end_line 500 is past the end"));
  CHECK(Has(tail.text, "  20\tline20\n"));
  auto past = Call("read_file", {{"path", "a.txt"}, {"start_line", 21}}, repo.context);
  CHECK(past.is_error);
  CHECK(Has(past.text, "start_line 21 is past the end of a.txt, which has 20 lines"));
  auto backwards = Call("read_file", {{"path", "a.txt"}, {"start_line", 5}, {"end_line", 4}}, repo.context);
  CHECK(backwards.is_error);
  CHECK(Has(backwards.text, "end_line (4) is before start_line (5)"));
}

TEST_CASE("read_file: arguments of the wrong type are named in the error", "[tools][read_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("a.txt", "x\n");
  auto as_string = Call("read_file", {{"path", "a.txt"}, {"start_line", "3"}}, repo.context);
  CHECK(as_string.is_error);
  CHECK(as_string.text == "start_line must be a positive integer (got \"3\")");
  auto zero = Call("read_file", {{"path", "a.txt"}, {"start_line", 0}}, repo.context);
  CHECK(zero.is_error);
  CHECK(Has(zero.text, "start_line must be a positive integer (got 0)"));
  auto fraction = Call("read_file", {{"path", "a.txt"}, {"end_line", 2.5}}, repo.context);
  CHECK(fraction.is_error);
  auto no_path = Call("read_file", nlohmann::json::object(), repo.context);
  CHECK(no_path.is_error);
  CHECK(no_path.text == "missing required argument \"path\"");
  auto path_number = Call("read_file", {{"path", 7}}, repo.context);
  CHECK(path_number.is_error);
  CHECK(path_number.text == "path must be a string (got 7)");
  auto typo = Call("read_file", {{"file_path", "a.txt"}}, repo.context);
  CHECK(typo.is_error);
  CHECK(Has(typo.text, "unknown argument \"file_path\"; the arguments are: end_line, path, start_line"));
}

TEST_CASE("read_file: missing files, directories, binary and huge files are refused clearly", "[tools][read_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Mkdir("dir");
  repo.Write("bin.dat", std::string("ab\0cd", 5));
  repo.Write("big.txt", std::string(100, 'x'));
  repo.Write("empty.txt", "");
  auto missing = Call("read_file", {{"path", "nope.txt"}}, repo.context);
  CHECK(missing.is_error);
  CHECK(Has(missing.text, "file not found: nope.txt"));
  auto dir = Call("read_file", {{"path", "dir"}}, repo.context);
  CHECK(dir.is_error);
  CHECK(Has(dir.text, "dir is a directory; use list_dir"));
  auto bin = Call("read_file", {{"path", "bin.dat"}}, repo.context);
  CHECK(bin.is_error);
  CHECK(Has(bin.text, "bin.dat is a binary file"));
  tools::ToolContext small = repo.context;
  small.limits.max_read_bytes = 50;
  auto big = Call("read_file", {{"path", "big.txt"}}, small);
  CHECK(big.is_error);
  CHECK(Has(big.text, "big.txt is too large to read: 100 bytes, over the read limit of 50 bytes"));
  auto empty = Call("read_file", {{"path", "empty.txt"}}, repo.context);
  CHECK(!empty.is_error);
  CHECK(Has(empty.text, "empty file (0 lines)"));
}

TEST_CASE("read_file: paths outside the repository are refused", "[tools][read_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Symlink("/etc", "etc");
  for (const char* p : {"../x", "/etc/passwd", "etc/passwd"}) {
    INFO(p);
    auto r = Call("read_file", {{"path", p}}, repo.context);
    CHECK(r.is_error);
    CHECK(Has(r.text, "outside the repository"));
    CHECK(!Has(r.text, "root:"));  // nothing of /etc/passwd leaked
  }
}

TEST_CASE("read_file: long files are cut to the budget with a way to read the rest", "[tools][read_file]") {
  auto repo = tools_testing::MakeRepo(false);
  std::string text;
  for (int i = 1; i <= 2000; ++i) text += "some source line number " + std::to_string(i) + "\n";
  repo.Write("long.txt", text);
  tools::ToolContext context = repo.context;
  context.limits.model_output_bytes = 2000;
  context.output_id = "out-1";
  auto r = Call("read_file", {{"path", "long.txt"}}, context);
  CHECK(!r.is_error);
  CHECK(r.truncated);
  CHECK(r.text.size() <= 2000);
  CHECK(Has(r.text, "read_output with output_id=\"out-1\""));
  CHECK(Has(r.full_output, "2000\tsome source line number 2000\n"));
  CHECK(Has(r.text, "2000\tsome source line number 2000\n"));  // the tail survives
  CHECK(Has(r.text, "   1\tsome source line number 1\n"));     // and the head
}
