// Crash safety: a failure or crash at every write, fsync and rename point
// of a checkpoint leaves the previous checkpoint whole (bit-identical
// resume), gc removes the orphans, and corruption is caught by CRC.
#include "base/fault_filesystem.h"
#include "sessions/db/sqlite.h"
#include "tests/sessions/session_fixture.h"

using namespace sessions_testing;

namespace {

// A store whose files live in a MemFileSystem (so a crash can drop
// unsynced bytes) behind a fault injector; SQLite is on the real disk.
struct CrashFixture : StoreFixture {
  std::unique_ptr<base::FileSystem> mem = base::NewMemFileSystem();
  base::FaultInjectingFileSystem faults{mem.get(), base::FaultPlan{}};
  std::vector<int32_t> history = Tokens(0, 70);
  std::vector<int32_t> step = Tokens(70, 45);
  std::string committed_digest;

  CrashFixture() {
    fs = &faults;
    auto store = Open();
    FakeKv kv;
    kv.Eval(history);
    auto w = Unwrap(store->CreateFor(kv, {.name = "s"}));
    Unwrap(w->CheckpointFrom(kv, history, {}));
    committed_digest = kv.Digest();
  }

  // Resumes "s" in a fresh store, checks it is the committed checkpoint,
  // then runs gc and checks nothing but referenced files remain.
  void CheckPreviousCheckpointWhole() {
    auto store = Open();
    FakeKv kv;
    auto w = Unwrap(store->OpenWriter("s"));
    auto r = Unwrap(w->RestoreInto(&kv));
    CHECK(r.history == history);
    CHECK(kv.Digest() == committed_digest);
    w.reset();
    Unwrap(store->Gc());
    CHECK(Unwrap(mem->ListDir(dir + "/live")).size() == 1);
    CHECK(Unwrap(mem->ListDir(dir + "/blocks")).size() == 1);
  }

  // One checkpoint attempt of `step` under `plan`; true if it committed.
  bool TryStep(const base::FaultPlan& plan) {
    auto store = Open();
    FakeKv kv;
    auto w = Unwrap(store->OpenWriter("s"));
    Unwrap(w->RestoreInto(&kv));
    kv.Eval(step);
    auto h = history;
    Append(&h, step);
    faults.SetPlan(plan);
    auto stats = w->CheckpointFrom(kv, h, {});
    faults.SetPlan({});
    return stats.ok();
  }
};

}  // namespace

TEST_CASE("A crash after any failed write leaves the previous checkpoint", "[sessions][fault]") {
  CrashFixture f;
  int failures = 0;
  for (int64_t k = 1; k < 200; ++k) {
    if (f.TryStep({.fail_write_at = k})) break;
    ++failures;
    base::MemFileSystemCrash(f.mem.get());
    f.CheckPreviousCheckpointWhole();
  }
  CHECK(failures > 10);  // every block append and the live-state write
}

TEST_CASE("A torn write at every point leaves the previous checkpoint", "[sessions][fault]") {
  CrashFixture f;
  int failures = 0;
  for (int64_t k = 1; k < 200; ++k) {
    if (f.TryStep({.fail_write_at = k, .torn_write_bytes = 17})) break;
    ++failures;
    // No crash here: the torn bytes stay on "disk", as after a kill -9.
    f.CheckPreviousCheckpointWhole();
  }
  CHECK(failures > 10);
}

TEST_CASE("A failed fsync at every point leaves the previous checkpoint", "[sessions][fault]") {
  CrashFixture f;
  int failures = 0;
  for (int64_t k = 1; k < 20; ++k) {
    if (f.TryStep({.fail_sync_at = k})) break;
    ++failures;
    base::MemFileSystemCrash(f.mem.get());
    f.CheckPreviousCheckpointWhole();
  }
  CHECK(failures == 4);  // segment, blocks dir, live-state file, live dir
}

TEST_CASE("A checkpoint does no renames", "[sessions][fault]") {
  // Nothing is renamed into place: files are created new and SQLite
  // publishes them, so a failed rename cannot occur mid-checkpoint.
  CrashFixture f;
  CHECK(f.TryStep({.fail_rename_at = 1}));
}

TEST_CASE("A full disk fails the checkpoint cleanly", "[sessions][fault]") {
  for (int64_t capacity : {0, 100, 2000, 5000}) {
    CrashFixture f;
    auto store = f.Open();
    FakeKv kv;
    auto w = Unwrap(store->OpenWriter("s"));
    Unwrap(w->RestoreInto(&kv));
    kv.Eval(f.step);
    auto h = f.history;
    Append(&h, f.step);
    f.faults.SetPlan({.disk_capacity_bytes = capacity});
    auto stats = w->CheckpointFrom(kv, h, {});
    f.faults.SetPlan({});
    REQUIRE_FALSE(stats.ok());
    CHECK(stats.status().code() == base::StatusCode::kNoSpace);
    // The same writer succeeds once there is room, starting clean.
    CHECK(Unwrap(w->CheckpointFrom(kv, h, {})).n_past == static_cast<int64_t>(h.size()));
    FakeKv back;
    CHECK(Unwrap(store->LoadInto("s", &back)).history == h);
    CHECK(back.Digest() == kv.Digest());
  }
}

TEST_CASE("A crash at the SQLite commit leaves the previous checkpoint", "[sessions][fault]") {
  CrashFixture f;
  // Another connection holds the write lock, so the publishing
  // transaction fails after every file was written and synced.
  auto blocker = Unwrap(sessions::db::Db::Open(f.dir + "/sessions.db", 10));
  auto store = f.Open(/*busy_timeout_ms=*/20);
  FakeKv kv;
  auto w = Unwrap(store->OpenWriter("s"));
  Unwrap(w->RestoreInto(&kv));
  kv.Eval(f.step);
  auto h = f.history;
  Append(&h, f.step);
  RequireOk(blocker->Exec("BEGIN IMMEDIATE"));
  auto stats = w->CheckpointFrom(kv, h, {});
  RequireOk(blocker->Exec("ROLLBACK"));
  REQUIRE_FALSE(stats.ok());
  CHECK(stats.status().code() == base::StatusCode::kBusy);
  w.reset();
  f.CheckPreviousCheckpointWhole();
}

TEST_CASE("Corrupt block and live-state bytes are reported, never used", "[sessions][fault]") {
  CrashFixture f;
  auto store = f.Open();
  {
    // A second session with its own blocks, untouched by the corruption.
    FakeKv other;
    auto oh = Tokens(3001, 30);
    other.Eval(oh);
    auto w = Unwrap(store->CreateFor(other, {.name = "other"}));
    Unwrap(w->CheckpointFrom(other, oh, {}));
  }
  auto segs = Unwrap(f.mem->ListDir(f.dir + "/blocks"));
  std::string seg_of_s;
  for (const auto& name : segs) {
    if (name.find(Unwrap(store->Find("s")).id) != std::string::npos) seg_of_s = name;
  }
  REQUIRE_FALSE(seg_of_s.empty());
  const std::string path = f.dir + "/blocks/" + seg_of_s;
  const std::string good = Unwrap(f.mem->ReadFile(path));
  // The first record's payload starts after the 8-byte segment header and
  // the 24-byte record header; the fake's hot part is its first 40 bytes.
  constexpr size_t kPayload = 8 + 24;
  {
    // A hot byte: the store hands the hot part on unread with its CRC,
    // and the reader refuses it (the fake checks at restore; the tiered
    // cache on the layer's first use).
    std::string bytes = good;
    bytes[kPayload + 20] ^= 0x01;
    RequireOk(f.mem->WriteFileAtomic(path, bytes));
    FakeKv kv;
    auto r = store->LoadInto("s", &kv);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == base::StatusCode::kCorruption);
    CHECK(r.status().message().find("layer 0, block 0") != std::string::npos);
    CHECK(r.status().message().find("hot part") != std::string::npos);
    CHECK(kv.n_past() == 0);
  }
  {
    // A cold byte: the store hands it on with its CRC, and the reader (the
    // fake reads every byte at restore) refuses it.
    std::string bytes = good;
    bytes[kPayload + 100] ^= 0x01;
    RequireOk(f.mem->WriteFileAtomic(path, bytes));
    FakeKv kv;
    auto r = store->LoadInto("s", &kv);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == base::StatusCode::kCorruption);
    CHECK(r.status().message().find("layer 0, block 0") != std::string::npos);
    CHECK(r.status().message().find("CRC32C") != std::string::npos);
    CHECK(kv.n_past() == 0);
  }
  {
    // A byte of the checkpoint's delta (the segment's last record: its
    // tokens and block mappings).
    std::string bytes = good;
    bytes[bytes.size() - 30] ^= 0x01;
    RequireOk(f.mem->WriteFileAtomic(path, bytes));
    FakeKv kv;
    auto r = store->LoadInto("s", &kv);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == base::StatusCode::kCorruption);
    CHECK(r.status().message().find("delta CRC32C") != std::string::npos);
    CHECK(r.status().message().find(seg_of_s) != std::string::npos);
    CHECK(kv.n_past() == 0);
  }
  {
    // A file cut short (of the blocks and the delta after them).
    RequireOk(f.mem->WriteFileAtomic(path, good.substr(0, kPayload + 10)));
    FakeKv kv;
    auto r = store->LoadInto("s", &kv);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == base::StatusCode::kCorruption);
    CHECK(r.status().message().find("short") != std::string::npos);
    CHECK(r.status().message().find(seg_of_s) != std::string::npos);
  }

  FakeKv ok;
  CHECK(Unwrap(store->LoadInto("other", &ok)).history == Tokens(3001, 30));

  // A corrupt live-state file names itself.
  auto lives = Unwrap(f.mem->ListDir(f.dir + "/live"));
  for (const auto& name : lives) {
    if (name.find(Unwrap(store->Find("other")).id) == std::string::npos) continue;
    std::string live = Unwrap(f.mem->ReadFile(f.dir + "/live/" + name));
    live[0] ^= 0x01;
    RequireOk(f.mem->WriteFileAtomic(f.dir + "/live/" + name, live));
    FakeKv k2;
    auto bad = store->LoadInto("other", &k2);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == base::StatusCode::kCorruption);
    CHECK(bad.status().message().find(name) != std::string::npos);
  }
}
