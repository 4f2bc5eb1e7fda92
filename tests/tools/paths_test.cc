// The shared path resolver: inside the repository only.
#include <catch2/catch.hpp>

#include "tests/tools/tools_testing.h"
#include "tools/paths.h"

using tools::ResolvePath;

TEST_CASE("paths: relative, root and not-yet-existing paths resolve inside the repository", "[tools][paths]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("src/a.cc", "x");
  auto a = ResolvePath(repo.root, "src/a.cc");
  REQUIRE(a.ok());
  CHECK(a->absolute == repo.root + "/src/a.cc");
  CHECK(a->relative == "src/a.cc");
  CHECK(a->exists);
  auto dot = ResolvePath(repo.root, "./src/../.");
  REQUIRE(dot.ok());
  CHECK(dot->relative == ".");
  CHECK(dot->absolute == repo.root);
  auto fresh = ResolvePath(repo.root, "src/new/deeper/b.cc");
  REQUIRE(fresh.ok());
  CHECK(!fresh->exists);
  CHECK(fresh->absolute == repo.root + "/src/new/deeper/b.cc");
  auto abs = ResolvePath(repo.root, repo.root + "/src/a.cc");
  REQUIRE(abs.ok());
  CHECK(abs->relative == "src/a.cc");
}

TEST_CASE("paths: `..` out of the repository is refused, naming the path", "[tools][paths]") {
  auto repo = tools_testing::MakeRepo(false);
  for (const char* p : {"../x", "src/../../x", "..", "a/b/../../../etc/passwd"}) {
    INFO(p);
    auto r = ResolvePath(repo.root, p);
    REQUIRE(!r.ok());
    CHECK(r.status().message().find(std::string("path ") + p) != std::string::npos);
    CHECK(r.status().message().find("outside the repository") != std::string::npos);
  }
}

TEST_CASE("paths: absolute paths outside the repository are refused", "[tools][paths]") {
  auto repo = tools_testing::MakeRepo(false);
  auto r = ResolvePath(repo.root, "/etc/passwd");
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("/etc/passwd is outside the repository") != std::string::npos);
  // A sibling sharing the root's name as a prefix is still outside.
  CHECK(!ResolvePath(repo.root, repo.root + "-other/x").ok());
  CHECK(!ResolvePath(repo.root, "").ok());
}

TEST_CASE("paths: symlinks that lead outside are refused at any component", "[tools][paths]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Symlink("/etc", "etc_link");
  repo.Symlink("/etc/passwd", "passwd_link");
  repo.Mkdir("sub");
  repo.Symlink("../..", "sub/up");
  for (const char* p : {"passwd_link", "etc_link", "etc_link/passwd", "etc_link/new_file", "sub/up/x"}) {
    INFO(p);
    auto r = ResolvePath(repo.root, p);
    REQUIRE(!r.ok());
    CHECK(r.status().message().find("is a symlink to") != std::string::npos);
    CHECK(r.status().message().find("outside the repository") != std::string::npos);
  }
}

TEST_CASE("paths: symlinks inside the repository are followed; dangling ones refused", "[tools][paths]") {
  auto repo = tools_testing::MakeRepo(false);
  repo.Write("real/file.txt", "x");
  repo.Symlink("real", "alias");
  repo.Symlink("real/file.txt", "file_link");
  auto r = ResolvePath(repo.root, "alias/file.txt");
  REQUIRE(r.ok());
  CHECK(r->relative == "real/file.txt");
  auto f = ResolvePath(repo.root, "file_link");
  REQUIRE(f.ok());
  CHECK(f->relative == "real/file.txt");
  repo.Symlink("/nonexistent/target", "dangling");
  auto d = ResolvePath(repo.root, "dangling");
  REQUIRE(!d.ok());
  CHECK(d.status().message().find("does not exist") != std::string::npos);
}

TEST_CASE("paths: .git is recognised as git's own directory", "[tools][paths]") {
  CHECK(tools::IsInGitDir(".git"));
  CHECK(tools::IsInGitDir(".git/config"));
  CHECK(!tools::IsInGitDir(".gitignore"));
  CHECK(!tools::IsInGitDir("src/.git_thing"));
}
