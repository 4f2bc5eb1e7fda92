#include "base/fault_filesystem.h"

#include <catch2/catch.hpp>

namespace {

struct Fixture {
  std::unique_ptr<base::FileSystem> mem = base::NewMemFileSystem();
  base::FaultInjectingFileSystem fs{mem.get(), base::FaultPlan{}};
  Fixture() { REQUIRE(mem->CreateDirs("/d").ok()); }

  std::unique_ptr<base::WritableFile> Open(const std::string& path) {
    auto w = fs.OpenWritable(path, base::OpenMode::kTruncate);
    REQUIRE(w.ok());
    return std::move(w).value();
  }
};

}  // namespace

TEST_CASE("Fault FS passes through when the plan is empty", "[base][fs][fault]") {
  Fixture f;
  auto w = f.Open("/d/a");
  REQUIRE(w->Append("abc").ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(f.fs.Rename("/d/a", "/d/b").ok());
  CHECK(*f.fs.ReadFile("/d/b") == "abc");
  CHECK(f.fs.counters().writes == 1);
  CHECK(f.fs.counters().syncs == 1);
  CHECK(f.fs.counters().renames == 1);
}

TEST_CASE("Fault FS fails exactly the Nth write", "[base][fs][fault]") {
  Fixture f;
  base::FaultPlan plan;
  plan.fail_write_at = 2;
  f.fs.SetPlan(plan);
  auto w = f.Open("/d/a");
  CHECK(w->Append("one").ok());
  base::Status s = w->Append("two");
  CHECK(s.code() == base::StatusCode::kIoError);
  CHECK(s.message().find("write #2") != std::string::npos);
  CHECK(w->Append("three").ok());
  CHECK(*f.fs.ReadFile("/d/a") == "onethree");
}

TEST_CASE("Fault FS tears a write short", "[base][fs][fault]") {
  Fixture f;
  base::FaultPlan plan;
  plan.fail_write_at = 1;
  plan.torn_write_bytes = 3;
  f.fs.SetPlan(plan);
  auto w = f.Open("/d/a");
  CHECK_FALSE(w->Append("abcdefgh").ok());
  CHECK(*f.fs.ReadFile("/d/a") == "abc");
}

TEST_CASE("Fault FS fails fsync and rename on demand", "[base][fs][fault]") {
  Fixture f;
  base::FaultPlan plan;
  plan.fail_sync_at = 1;
  plan.fail_rename_at = 1;
  f.fs.SetPlan(plan);
  auto w = f.Open("/d/a");
  REQUIRE(w->Append("x").ok());
  CHECK(w->Sync().code() == base::StatusCode::kIoError);
  CHECK(w->Sync().ok());  // only the first one fails
  CHECK(f.fs.Rename("/d/a", "/d/b").code() == base::StatusCode::kIoError);
  CHECK(*f.fs.Exists("/d/a"));
  CHECK(f.fs.Rename("/d/a", "/d/b").ok());
}

TEST_CASE("Fault FS reports a full disk after writing what fits", "[base][fs][fault]") {
  Fixture f;
  base::FaultPlan plan;
  plan.disk_capacity_bytes = 10;
  f.fs.SetPlan(plan);
  auto w = f.Open("/d/a");
  CHECK(w->Append("123456").ok());
  base::Status s = w->Append("7890ab");
  CHECK(s.code() == base::StatusCode::kNoSpace);
  CHECK(*f.fs.ReadFile("/d/a") == "1234567890");
  CHECK(w->Append("c").code() == base::StatusCode::kNoSpace);
}

TEST_CASE("WriteFileAtomic keeps the old file when fsync fails", "[base][fs][fault]") {
  Fixture f;
  REQUIRE(f.fs.WriteFileAtomic("/d/state", "old").ok());
  base::FaultPlan plan;
  plan.fail_sync_at = 1;
  f.fs.SetPlan(plan);
  CHECK_FALSE(f.fs.WriteFileAtomic("/d/state", "new").ok());
  CHECK(*f.fs.ReadFile("/d/state") == "old");
  CHECK_FALSE(*f.fs.Exists("/d/state.tmp"));
}
