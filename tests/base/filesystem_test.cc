#include "base/filesystem.h"

#include <catch2/catch.hpp>
#include <functional>

#include "tests/testing.h"

namespace {

// Runs the same contract against every real FileSystem implementation.
struct FsUnderTest {
  std::string name;
  std::function<std::unique_ptr<base::FileSystem>()> make;  // null: DefaultFileSystem
  std::string root;
};

std::vector<FsUnderTest> AllFileSystems() {
  std::vector<FsUnderTest> out;
  out.push_back({"posix", nullptr, testing::MakeTempDir("lh_fs")});
  out.push_back({"mem", [] { return base::NewMemFileSystem(); }, "/data"});
  return out;
}

std::string ReadAll(base::FileSystem* fs, const std::string& path) {
  auto r = fs->ReadFile(path);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("FileSystem contract holds for every implementation", "[base][fs]") {
  for (FsUnderTest& t : AllFileSystems()) {
    SECTION(t.name) {
      std::unique_ptr<base::FileSystem> owned = t.make ? t.make() : nullptr;
      base::FileSystem* fs = owned ? owned.get() : base::DefaultFileSystem();
      REQUIRE(fs->CreateDirs(t.root + "/a/b").ok());
      REQUIRE(fs->CreateDirs(t.root + "/a/b").ok());  // idempotent
      const std::string path = t.root + "/a/b/file.bin";

      {
        auto w = fs->OpenWritable(path, base::OpenMode::kCreateNew);
        REQUIRE(w.ok());
        REQUIRE((*w)->Append("hello ").ok());
        REQUIRE((*w)->Append("world").ok());
        CHECK((*w)->Size() == 11);
        REQUIRE((*w)->Sync().ok());
        REQUIRE((*w)->Close().ok());
      }
      CHECK(ReadAll(fs, path) == "hello world");
      CHECK(*fs->FileSize(path) == 11);
      CHECK(*fs->Exists(path));
      CHECK_FALSE(*fs->Exists(path + ".nope"));

      // kCreateNew refuses an existing file; kAppend keeps the bytes.
      auto again = fs->OpenWritable(path, base::OpenMode::kCreateNew);
      CHECK(again.status().code() == base::StatusCode::kAlreadyExists);
      {
        auto w = fs->OpenWritable(path, base::OpenMode::kAppend);
        REQUIRE(w.ok());
        CHECK((*w)->Size() == 11);
        REQUIRE((*w)->Append("!").ok());
      }
      CHECK(ReadAll(fs, path) == "hello world!");

      // Random access and mapping.
      auto r = fs->OpenReadable(path);
      REQUIRE(r.ok());
      char buf[16] = {};
      auto n = (*r)->ReadAt(6, 100, buf);
      REQUIRE(n.ok());
      CHECK(*n == 6);
      CHECK(std::string(buf, 6) == "world!");
      CHECK(*(*r)->ReadAt(100, 4, buf) == 0);
      auto m = fs->Map(path);
      REQUIRE(m.ok());
      CHECK(std::string(reinterpret_cast<const char*>((*m)->data()), (*m)->size()) == "hello world!");

      // Truncate, rename, list, remove.
      REQUIRE(fs->Truncate(path, 5).ok());
      CHECK(ReadAll(fs, path) == "hello");
      REQUIRE(fs->Rename(path, t.root + "/a/b/renamed").ok());
      CHECK_FALSE(*fs->Exists(path));
      REQUIRE(fs->WriteFileAtomic(t.root + "/a/b/atomic", "v1").ok());
      REQUIRE(fs->WriteFileAtomic(t.root + "/a/b/atomic", "v2").ok());
      CHECK(ReadAll(fs, t.root + "/a/b/atomic") == "v2");
      auto names = fs->ListDir(t.root + "/a/b");
      REQUIRE(names.ok());
      CHECK(*names == std::vector<std::string>{"atomic", "renamed"});
      REQUIRE(fs->Remove(t.root + "/a/b/renamed").ok());
      CHECK(fs->Remove(t.root + "/a/b/renamed").code() == base::StatusCode::kNotFound);

      // Missing files give NotFound, never a crash.
      CHECK(fs->OpenReadable(t.root + "/missing").status().code() == base::StatusCode::kNotFound);
      CHECK(fs->ReadFile(t.root + "/missing").status().code() == base::StatusCode::kNotFound);
      CHECK(fs->Map(t.root + "/missing").status().code() == base::StatusCode::kNotFound);
      CHECK(fs->OpenWritable(t.root + "/no/such/dir/f", base::OpenMode::kTruncate).status().code() ==
            base::StatusCode::kNotFound);
    }
  }
}

TEST_CASE("FileSystem locks are exclusive until released", "[base][fs]") {
  for (FsUnderTest& t : AllFileSystems()) {
    SECTION(t.name) {
      std::unique_ptr<base::FileSystem> owned = t.make ? t.make() : nullptr;
      base::FileSystem* fs = owned ? owned.get() : base::DefaultFileSystem();
      REQUIRE(fs->CreateDirs(t.root).ok());
      const std::string lock_path = t.root + "/LOCK";
      auto first = fs->Lock(lock_path);
      REQUIRE(first.ok());
      auto second = fs->Lock(lock_path);
      CHECK(second.status().code() == base::StatusCode::kBusy);
      first->reset();
      CHECK(fs->Lock(lock_path).ok());
    }
  }
}

TEST_CASE("A crash loses unsynced bytes and unsynced directory entries", "[base][fs][mem]") {
  auto fs = base::NewMemFileSystem();
  REQUIRE(fs->CreateDirs("/d").ok());
  {
    auto w = fs->OpenWritable("/d/log", base::OpenMode::kCreateNew);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("durable").ok());
    REQUIRE((*w)->Sync().ok());
    REQUIRE(fs->SyncDir("/d").ok());
    REQUIRE((*w)->Append("-volatile").ok());
  }
  {
    auto w = fs->OpenWritable("/d/never-dir-synced", base::OpenMode::kCreateNew);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("x").ok());
    REQUIRE((*w)->Sync().ok());
  }
  CHECK(*fs->ReadFile("/d/log") == "durable-volatile");
  base::MemFileSystemCrash(fs.get());
  CHECK(*fs->ReadFile("/d/log") == "durable");
  CHECK_FALSE(*fs->Exists("/d/never-dir-synced"));
}

TEST_CASE("WriteFileAtomic leaves the old version after a crash before completion", "[base][fs][mem]") {
  auto fs = base::NewMemFileSystem();
  REQUIRE(fs->CreateDirs("/d").ok());
  REQUIRE(fs->WriteFileAtomic("/d/state", "old").ok());
  // A temp file written but never renamed is what a kill mid-write leaves.
  {
    auto w = fs->OpenWritable("/d/state.tmp", base::OpenMode::kTruncate);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("ne").ok());
  }
  base::MemFileSystemCrash(fs.get());
  CHECK(*fs->ReadFile("/d/state") == "old");
}

TEST_CASE("Path helpers", "[base][fs]") {
  CHECK(base::JoinPath("a", "b") == "a/b");
  CHECK(base::JoinPath("a/", "/b") == "a/b");
  CHECK(base::JoinPath("", "b") == "b");
  CHECK(base::DirName("a/b/c") == "a/b");
  CHECK(base::DirName("/c") == "/");
  CHECK(base::DirName("c") == ".");
  CHECK(base::DirName("a/b/") == "a");
}
