// write_file: creates, overwrites atomically, stays inside the repository.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}
}  // namespace

TEST_CASE("write_file: creates a file and its parent directories", "[tools][write_file]") {
  auto repo = tools_testing::MakeRepo(false);
  auto r = Call("write_file", {{"path", "src/deep/new.cc"}, {"content", "int x;\nint y;\n"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(r.text == "Created src/deep/new.cc (14 bytes, 2 lines)\n");
  CHECK(r.details["created"] == true);
  CHECK(r.details["bytes_written"] == 14);
  CHECK(repo.Read("src/deep/new.cc") == "int x;\nint y;\n");
  CHECK(CountEntries(repo.root + "/src/deep") == 1);  // no temporary file left behind
}

TEST_CASE("write_file: overwrites in place, keeping the file's mode", "[tools][write_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("run.sh", "#!/bin/sh\necho old\n");
  ::chmod((repo.root + "/run.sh").c_str(), 0755);
  auto r = Call("write_file", {{"path", "run.sh"}, {"content", "#!/bin/sh\necho new\n"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(Has(r.text, "Overwrote run.sh (19 bytes, 2 lines; it was 19 bytes)"));
  CHECK(r.details["created"] == false);
  CHECK(repo.Read("run.sh") == "#!/bin/sh\necho new\n");
  struct stat st;
  REQUIRE(::stat((repo.root + "/run.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
  CHECK(CountEntries(repo.root) == 1);
}

TEST_CASE("write_file: writing through a symlink inside the repository replaces its target", "[tools][write_file]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("real.txt", "old");
  repo.Symlink("real.txt", "link.txt");
  auto r = Call("write_file", {{"path", "link.txt"}, {"content", "new"}}, repo.context);
  CHECK(!r.is_error);
  CHECK(repo.Read("real.txt") == "new");
  CHECK(std::filesystem::is_symlink(repo.root + "/link.txt"));
}

TEST_CASE("write_file: refuses escapes, .git, directories and missing content", "[tools][write_file]") {
  auto repo = tools_testing::MakeRepo(true);
  auto outside = tools_testing::MakeRepo(false);
  repo.Symlink(outside.root, "out");
  repo.Mkdir("dir");
  for (const char* p : {"../escape.txt", "out/escape.txt", "/tmp/escape-longhaul.txt"}) {
    INFO(p);
    auto r = Call("write_file", {{"path", p}, {"content", "x"}}, repo.context);
    CHECK(r.is_error);
    CHECK(Has(r.text, "outside the repository"));
  }
  CHECK(!outside.Exists("escape.txt"));
  auto git = Call("write_file", {{"path", ".git/config"}, {"content", "x"}}, repo.context);
  CHECK(git.is_error);
  CHECK(Has(git.text, "inside .git"));
  auto dir = Call("write_file", {{"path", "dir"}, {"content", "x"}}, repo.context);
  CHECK(dir.is_error);
  CHECK(Has(dir.text, "dir is a directory"));
  auto no_content = Call("write_file", {{"path", "a.txt"}}, repo.context);
  CHECK(no_content.is_error);
  CHECK(no_content.text == "missing required argument \"content\"");
  CHECK(!repo.Exists("a.txt"));
}
