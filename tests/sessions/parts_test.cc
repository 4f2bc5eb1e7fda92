// The store's parts on their own: schema migrations, segment files, keys.
#include <catch2/catch.hpp>

#include "base/fault_filesystem.h"
#include "sessions/blocks/block_key.h"
#include "sessions/blocks/segment.h"
#include "sessions/db/schema.h"
#include "sessions/db/sqlite.h"
#include "tests/sessions/session_fixture.h"

using namespace sessions_testing;
using sessions::blocks::BlockKeyer;

TEST_CASE("Schema migrates a fresh database and refuses a newer one", "[sessions][db]") {
  const std::string path = testing::MakeTempDir("lh_schema") + "/s.db";
  {
    auto db = Unwrap(sessions::db::Db::Open(path, 1000));
    RequireOk(sessions::db::Migrate(db.get()));
    RequireOk(sessions::db::Migrate(db.get()));  // idempotent
    auto st = Unwrap(db->Prepare("PRAGMA user_version"));
    REQUIRE(Unwrap(st.Step()));
    CHECK(st.Int(0) == sessions::db::SchemaVersion());
    auto fk = Unwrap(db->Prepare("PRAGMA foreign_keys"));
    REQUIRE(Unwrap(fk.Step()));
    CHECK(fk.Int(0) == 1);
    auto wal = Unwrap(db->Prepare("PRAGMA journal_mode"));
    REQUIRE(Unwrap(wal.Step()));
    CHECK(wal.Text(0) == "wal");
    RequireOk(db->Exec("PRAGMA user_version = 99"));
  }
  auto db = Unwrap(sessions::db::Db::Open(path, 1000));
  base::Status s = sessions::db::Migrate(db.get());
  CHECK(s.code() == base::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("99") != std::string::npos);
}

TEST_CASE("SQLite errors become statuses", "[sessions][db]") {
  const std::string path = testing::MakeTempDir("lh_sqlite") + "/s.db";
  auto db = Unwrap(sessions::db::Db::Open(path, 10));
  RequireOk(db->Exec("CREATE TABLE t(k TEXT PRIMARY KEY)"));
  auto ins = Unwrap(db->Prepare("INSERT INTO t VALUES(?1)"));
  RequireOk(ins.Bind(1, std::string_view("a")).Run());
  ins.Reset();
  CHECK(ins.Bind(1, std::string_view("a")).Run().code() == base::StatusCode::kAlreadyExists);
  CHECK_FALSE(db->Prepare("SELEC nonsense").ok());
  // A second connection holding the write lock makes BEGIN IMMEDIATE busy.
  auto other = Unwrap(sessions::db::Db::Open(path, 10));
  RequireOk(other->Exec("BEGIN IMMEDIATE"));
  auto txn = sessions::db::Transaction::Begin(db.get());
  CHECK(txn.status().code() == base::StatusCode::kBusy);
  RequireOk(other->Exec("ROLLBACK"));
}

TEST_CASE("Segments round-trip blocks and catch corruption", "[sessions][segment]") {
  auto mem = base::NewMemFileSystem();
  RequireOk(mem->CreateDirs("/d"));
  sessions::blocks::SegmentWriter writer(mem.get(), "/d", "owner1", /*rotate_bytes=*/200);
  sessions::blocks::BlockKey k1{1, 2}, k2{3, 4};
  auto l1 = Unwrap(writer.Append(k1, std::string(100, 'a')));
  auto l2 = Unwrap(writer.Append(k2, std::string(100, 'b')));
  RequireOk(writer.Sync());
  CHECK(l1.file != l2.file);  // 100 + overhead twice exceeds 200: rotated
  CHECK(sessions::blocks::OwnerOfFileName(l1.file.substr(l1.file.rfind('/') + 1)) == "owner1");
  sessions::blocks::SegmentReader reader(mem.get(), "/d");
  CHECK(Unwrap(reader.Read(l1)) == std::string(100, 'a'));
  CHECK(Unwrap(reader.Read(l2)) == std::string(100, 'b'));

  // Flip one payload byte.
  std::string bytes = Unwrap(mem->ReadFile("/d/" + l2.file));
  bytes[l2.offset + 10] ^= 0x40;
  RequireOk(mem->WriteFileAtomic("/d/" + l2.file, bytes));
  sessions::blocks::SegmentReader fresh(mem.get(), "/d");
  auto bad = fresh.Read(l2);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == base::StatusCode::kCorruption);
  CHECK(bad.status().message().find(l2.file) != std::string::npos);
  CHECK(Unwrap(fresh.Read(l1)) == std::string(100, 'a'));  // the rest is intact
}

TEST_CASE("A failed segment write starts a fresh file", "[sessions][segment]") {
  auto mem = base::NewMemFileSystem();
  base::FaultInjectingFileSystem fs(mem.get(), {});
  RequireOk(mem->CreateDirs("/d"));
  sessions::blocks::SegmentWriter writer(&fs, "/d", "o", 1 << 20);
  auto l1 = Unwrap(writer.Append({1, 1}, "first"));
  fs.SetPlan({.fail_write_at = 1, .torn_write_bytes = 3});
  CHECK_FALSE(writer.Append({2, 2}, "second").ok());
  fs.SetPlan({});
  auto l3 = Unwrap(writer.Append({3, 3}, "third"));
  RequireOk(writer.Sync());
  CHECK(l3.file != l1.file);
  sessions::blocks::SegmentReader reader(&fs, "/d");
  CHECK(Unwrap(reader.Read(l3)) == "third");
}

TEST_CASE("Block keys follow the token prefix", "[sessions][keys]") {
  auto a = Tokens(0, 64);
  auto b = a;
  b[40] += 1;  // differs inside block 5 (8-token blocks)
  BlockKeyer ka("fp", "policy", 8), kb("fp", "policy", 8);
  ka.Update(a, 0);
  kb.Update(b, 0);
  REQUIRE(ka.complete_blocks() == 8);
  for (int64_t i = 0; i < 5; ++i) CHECK(ka.Key(0, i) == kb.Key(0, i));
  for (int64_t i = 5; i < 8; ++i) CHECK_FALSE(ka.Key(0, i) == kb.Key(0, i));
  CHECK_FALSE(ka.Key(0, 1) == ka.Key(1, 1));
  CHECK_FALSE(ka.Key(0, 1) == ka.Key(0, 2));

  BlockKeyer other_model("fp2", "policy", 8), other_policy("fp", "policy2", 8);
  other_model.Update(a, 0);
  other_policy.Update(a, 0);
  CHECK_FALSE(other_model.Key(0, 0) == ka.Key(0, 0));
  CHECK_FALSE(other_policy.Key(0, 0) == ka.Key(0, 0));

  // Incremental update over an unchanged prefix equals a full recompute.
  BlockKeyer inc("fp", "policy", 8);
  inc.Update(std::span<const int32_t>(a).first(20), 0);
  inc.Update(b, 20);
  for (int64_t i = 0; i < 8; ++i) CHECK(inc.Key(0, i) == kb.Key(0, i));
  // Truncation then regrowth recomputes from the change.
  BlockKeyer trunc("fp", "policy", 8);
  trunc.Update(a, 0);
  trunc.Update(b, 40);
  for (int64_t i = 0; i < 8; ++i) CHECK(trunc.Key(0, i) == kb.Key(0, i));
}
