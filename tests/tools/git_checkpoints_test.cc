// Checkpoints: restore gives back exact bytes and modes, untracked files
// included and ignored files untouched, without touching the user's HEAD,
// index, branches or stash; unchanged steps add nothing; removal works.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/testing.h"
#include "tests/tools/git_testing.h"
#include "tests/tools/tools_testing.h"
#include "tools/git/checkpoints.h"

namespace cp = tools::git;
namespace fs = std::filesystem;
using git_testing::UserState;

namespace {

// Bytes that a text-mode or line-ending conversion would change.
const std::string kBinary = std::string("bin\0\r\n\xff\xfe tail\r", 13);

tools_testing::Repo CommittedRepo() {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write(".gitignore", "*.log\nbuild/\n");
  repo.Write("tracked.txt", "tracked v1\n");
  repo.Write("dir/sub.txt", "sub v1\n");
  repo.Write("script.sh", "#!/bin/sh\necho hi\n");
  repo.Write("data.bin", kBinary);
  git_testing::SetExecutable(repo.root + "/script.sh", true);
  git_testing::CommitAll(repo.root, "initial\n");
  return repo;
}

}  // namespace

TEST_CASE("checkpoints: restore gives back exact bytes and leaves the user's git state alone", "[tools][git]") {
  auto repo = CommittedRepo();
  // A stash, a staged change and a second branch: all must survive.
  repo.Write("tracked.txt", "stashed edit\n");
  git_testing::Stash(repo.root);
  repo.Write("dir/sub.txt", "sub v2 staged\n");
  git_testing::Stage(repo.root, "dir/sub.txt");
  repo.Write("untracked.txt", "untracked v1\n");
  repo.Write("untracked_dir/deep/u.txt", "deep untracked\n");
  repo.Write("ignored.log", "log v1\n");
  repo.Write("build/out.o", "object v1\n");
  const std::string before = UserState(repo.root);

  auto snap = cp::Snapshot(repo.root, "s1", 1);
  REQUIRE(snap.ok());
  CHECK(snap->changed);
  CHECK(snap->ref == "refs/longhaul/s1/1");
  CHECK(UserState(repo.root) == before);

  // Same-size edits in the same second: a stat cache that trusted size and
  // mtime alone would miss them.
  repo.Write("tracked.txt", "tracked v2\n");
  repo.Write("untracked.txt", "untracked v2\n");
  fs::remove(repo.root + "/dir/sub.txt");
  fs::remove_all(repo.root + "/untracked_dir");
  git_testing::SetExecutable(repo.root + "/script.sh", false);
  repo.Write("data.bin", "changed");
  repo.Write("new.txt", "created after the checkpoint\n");
  repo.Write("newdir/x/y.txt", "also new\n");
  repo.Write("ignored.log", "log v2\n");
  repo.Write("build/new.o", "new object\n");

  REQUIRE(cp::Restore(repo.root, "s1", 1).ok());
  CHECK(repo.Read("tracked.txt") == "tracked v1\n");
  CHECK(repo.Read("untracked.txt") == "untracked v1\n");
  CHECK(repo.Read("dir/sub.txt") == "sub v2 staged\n");
  CHECK(repo.Read("untracked_dir/deep/u.txt") == "deep untracked\n");
  CHECK(repo.Read("data.bin") == kBinary);
  CHECK(git_testing::IsExecutable(repo.root + "/script.sh"));
  CHECK(!repo.Exists("new.txt"));
  CHECK(!repo.Exists("newdir"));
  // Ignored files are neither saved nor touched.
  CHECK(repo.Read("ignored.log") == "log v2\n");
  CHECK(repo.Read("build/new.o") == "new object\n");
  CHECK(repo.Read("build/out.o") == "object v1\n");
  CHECK(UserState(repo.root) == before);
}

TEST_CASE("checkpoints: an unchanged step shares the previous commit and parents chain", "[tools][git]") {
  auto repo = CommittedRepo();
  auto s1 = cp::Snapshot(repo.root, "chain", 1);
  REQUIRE(s1.ok());
  const size_t objects = git_testing::CountObjects(repo.root);
  auto s2 = cp::Snapshot(repo.root, "chain", 2);
  REQUIRE(s2.ok());
  CHECK(!s2->changed);
  CHECK(s2->commit == s1->commit);
  CHECK(git_testing::CountObjects(repo.root) == objects);
  repo.Write("tracked.txt", "v3\n");
  auto s3 = cp::Snapshot(repo.root, "chain", 3);
  REQUIRE(s3.ok());
  CHECK(s3->changed);
  CHECK(s3->commit != s1->commit);

  auto list = cp::ListCheckpoints(repo.root, "chain");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].step == 1);
  CHECK((*list)[2].step == 3);
  CHECK((*list)[2].commit == s3->commit);
  // Rewinding to step 2 and restoring step 3 again moves both ways.
  REQUIRE(cp::Restore(repo.root, "chain", 2).ok());
  CHECK(repo.Read("tracked.txt") == "tracked v1\n");
  REQUIRE(cp::Restore(repo.root, "chain", 3).ok());
  CHECK(repo.Read("tracked.txt") == "v3\n");
  // Sessions do not see each other's checkpoints.
  auto other = cp::ListCheckpoints(repo.root, "other");
  REQUIRE(other.ok());
  CHECK(other->empty());
}

TEST_CASE("checkpoints: 200 steps that change one file add only that file's objects", "[tools][git]") {
  auto repo = tools_testing::MakeRepo(true);
  for (int i = 0; i < 40; ++i) repo.Write("src/mod" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".txt",
                                          std::string(2000, static_cast<char>('a' + i % 26)));
  repo.Write("a/b/c/state.txt", "step 0\n");
  git_testing::CommitAll(repo.root, "initial\n");
  REQUIRE(cp::Snapshot(repo.root, "long", 0).ok());
  const size_t before = git_testing::CountObjects(repo.root);
  constexpr int kSteps = 200;
  for (int step = 1; step <= kSteps; ++step) {
    repo.Write("a/b/c/state.txt", "step " + std::to_string(step) + "\n");
    auto snap = cp::Snapshot(repo.root, "long", step);
    REQUIRE(snap.ok());
    REQUIRE(snap->changed);
  }
  const size_t added = git_testing::CountObjects(repo.root) - before;
  // Per step: one blob, the trees root, a, a/b, a/b/c, and one commit.
  const size_t needed = kSteps * (1 + 4 + 1);
  WARN("200 checkpoints added " << added << " objects (needed " << needed << "; a full copy per step would be "
                                << kSteps * 46 << ")");
  CHECK(added <= needed);
  CHECK(added >= kSteps * 3);  // each step really was saved
  REQUIRE(cp::Restore(repo.root, "long", 77).ok());
  CHECK(repo.Read("a/b/c/state.txt") == "step 77\n");
}

TEST_CASE("checkpoints: RemoveCheckpoints deletes the refs and the private index", "[tools][git]") {
  auto repo = CommittedRepo();
  const size_t objects_before = git_testing::CountObjects(repo.root);
  REQUIRE(cp::Snapshot(repo.root, "gone", 1).ok());
  repo.Write("tracked.txt", "x\n");
  REQUIRE(cp::Snapshot(repo.root, "gone", 2).ok());
  REQUIRE(cp::Snapshot(repo.root, "kept", 1).ok());
  CHECK(fs::exists(repo.root + "/.git/longhaul/index-gone"));
  auto removed = cp::RemoveCheckpoints(repo.root, "gone");
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  auto list = cp::ListCheckpoints(repo.root, "gone");
  REQUIRE(list.ok());
  CHECK(list->empty());
  CHECK(!fs::exists(repo.root + "/.git/longhaul/index-gone"));
  CHECK(!fs::exists(repo.root + "/.git/refs/longhaul/gone"));
  CHECK(cp::Restore(repo.root, "gone", 1).code() == base::StatusCode::kNotFound);
  auto kept = cp::ListCheckpoints(repo.root, "kept");
  REQUIRE(kept.ok());
  CHECK(kept->size() == 1);
  // With every session's refs gone, git gc prunes every checkpoint object
  // (checked with the git binary when the machine has one).
  REQUIRE(cp::RemoveCheckpoints(repo.root, "kept").ok());
  if (!fs::exists("/usr/bin/git")) return;
  const auto gc = testing::RunCommand({"/usr/bin/git", "-C", repo.root, "gc", "--prune=now", "--quiet"});
  REQUIRE(gc.exit_code == 0);
  CHECK(git_testing::CountObjects(repo.root) == objects_before);
}

TEST_CASE("checkpoints: a repository with no commits yet", "[tools][git]") {
  auto repo = tools_testing::MakeRepo(true);
  repo.Write("a.txt", "first\n");
  repo.Write("sub/b.txt", "second\n");
  const std::string before = UserState(repo.root);
  auto snap = cp::Snapshot(repo.root, "fresh", 1);
  REQUIRE(snap.ok());
  repo.Write("a.txt", "edited\n");
  fs::remove_all(repo.root + "/sub");
  repo.Write("c.txt", "new\n");
  REQUIRE(cp::Restore(repo.root, "fresh", 1).ok());
  CHECK(repo.Read("a.txt") == "first\n");
  CHECK(repo.Read("sub/b.txt") == "second\n");
  CHECK(!repo.Exists("c.txt"));
  CHECK(UserState(repo.root) == before);
}

TEST_CASE("checkpoints: files become directories and symlinks come back", "[tools][git]") {
  auto repo = CommittedRepo();
  repo.Symlink("tracked.txt", "link");
  repo.Write("thing", "a file\n");
  REQUIRE(cp::Snapshot(repo.root, "shape", 1).ok());
  fs::remove(repo.root + "/thing");
  repo.Write("thing/inside.txt", "now a directory\n");
  fs::remove(repo.root + "/link");
  repo.Write("link", "now a file\n");
  REQUIRE(cp::Restore(repo.root, "shape", 1).ok());
  CHECK(repo.Read("thing") == "a file\n");
  CHECK(fs::is_symlink(repo.root + "/link"));
  CHECK(fs::read_symlink(repo.root + "/link") == "tracked.txt");
}

TEST_CASE("checkpoints: a subdirectory root restores only its own files", "[tools][git]") {
  auto repo = CommittedRepo();
  repo.Write("agent/work.txt", "work v1\n");
  const std::string sub = repo.root + "/agent";
  REQUIRE(cp::Snapshot(sub, "sub", 1).ok());
  repo.Write("agent/work.txt", "work v2\n");
  repo.Write("agent/new.txt", "new\n");
  repo.Write("tracked.txt", "the user's own edit outside the root\n");
  REQUIRE(cp::Restore(sub, "sub", 1).ok());
  CHECK(repo.Read("agent/work.txt") == "work v1\n");
  CHECK(!repo.Exists("agent/new.txt"));
  CHECK(repo.Read("tracked.txt") == "the user's own edit outside the root\n");
}

TEST_CASE("checkpoints: clear errors outside git and for bad input", "[tools][git]") {
  auto plain = tools_testing::MakeRepo(false);
  auto snap = cp::Snapshot(plain.root, "s", 1);
  REQUIRE(!snap.ok());
  CHECK(snap.status().code() == base::StatusCode::kFailedPrecondition);
  CHECK(snap.status().message().find("not inside a git repository") != std::string::npos);
  auto repo = CommittedRepo();
  for (const std::string bad : {"", "a/b", "..", ".hidden", "x.lock", "sp ace", "a..b"}) {
    INFO(bad);
    CHECK(cp::Snapshot(repo.root, bad, 1).status().code() == base::StatusCode::kInvalidArgument);
  }
  const auto missing = cp::Restore(repo.root, "nobody", 3);
  CHECK(missing.code() == base::StatusCode::kNotFound);
  CHECK(missing.message().find("no checkpoint for step 3") != std::string::npos);
}
