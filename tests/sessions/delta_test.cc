// Checkpoint deltas (schema 4): the record format, gc rewriting deltas
// that name a compacted segment, and stores written by schemas 2 and 3.
#include <functional>
#include <set>
#include <utility>

#include "base/filesystem.h"
#include "base/forwarding_filesystem.h"
#include "base/hash.h"
#include "sessions/blocks/block_key.h"
#include "sessions/checkpoint/block_runs.h"
#include "sessions/checkpoint/chain.h"
#include "sessions/checkpoint/delta.h"
#include "sessions/db/sqlite.h"
#include "tests/sessions/session_fixture.h"

using namespace sessions_testing;
using sessions::checkpoint::DeltaData;
using sessions::checkpoint::DeltaEntry;

namespace {

sessions::SamplerState Sampler(uint64_t x) { return sessions::SamplerState{{x, x + 1, x + 2, x + 3}}; }

sessions::blocks::BlockLocation Loc(std::string file, uint64_t offset, uint32_t length) {
  return {std::move(file), offset, length, 0x1234u + length, length / 4, 0x55u, 0x66u};
}

DeltaData SampleDelta() {
  DeltaData d;
  d.tokens = {1, -2, 300000, 4};
  const sessions::blocks::BlockKey k1{1, 2}, k2{3, 4}, k3{5, 6};
  REQUIRE(d.Add(0, 7, k1, Loc("blocks/a.lhseg", 8, 100)).ok());
  REQUIRE(d.Add(0, 8, k2, Loc("blocks/b.lhseg", 9000, 120)).ok());  // same run, another file
  REQUIRE(d.Add(2, 0, k3, Loc("blocks/a.lhseg", 300, 100)).ok());    // a new run
  return d;
}

// One checkpoint's delta as its row locates it.
struct Row {
  int64_t id;
  std::string file;
  uint64_t offset, length;
};

std::vector<Row> DeltaRows(sessions::db::Db* db) {
  auto st = Unwrap(db->Prepare("SELECT c.id, s.file, c.delta_offset, c.delta_length FROM checkpoints c"
                               " JOIN segments s ON s.id = c.delta_segment ORDER BY c.id"));
  std::vector<Row> rows;
  while (Unwrap(st.Step())) {
    rows.push_back({st.Int(0), st.Text(1), static_cast<uint64_t>(st.Int(2)), static_cast<uint64_t>(st.Int(3))});
  }
  return rows;
}

DeltaData ReadDelta(const std::string& dir, const Row& r) {
  const std::string bytes = Unwrap(base::DefaultFileSystem()->ReadFile(dir + "/" + r.file));
  REQUIRE(r.offset + r.length <= bytes.size());
  return sessions::checkpoint::ToData(Unwrap(sessions::checkpoint::ParseDelta(bytes.substr(r.offset, r.length))));
}

// Puts each delta's tokens in its row, and its mappings in
// checkpoint_blocks rows (schema 2) or runs of RunEntry (schema 3).
void MoveDeltasIntoRows(sessions::db::Db* db, const std::string& dir, int version) {
  auto tokens = Unwrap(db->Prepare("UPDATE checkpoints SET tokens = ?2 WHERE id = ?1"));
  auto segment = Unwrap(db->Prepare("SELECT id FROM segments WHERE file = ?1"));
  auto run = Unwrap(db->Prepare("INSERT INTO checkpoint_block_runs(checkpoint_id, layer, first_idx, entries)"
                                " VALUES(?1, ?2, ?3, ?4)"));
  auto mapping = Unwrap(db->Prepare("INSERT INTO checkpoint_blocks(checkpoint_id, layer, idx, block_key)"
                                    " VALUES(?1, ?2, ?3, ?4)"));
  for (const Row& r : DeltaRows(db)) {
    const DeltaData d = ReadDelta(dir, r);
    tokens.Reset();
    tokens.Bind(1, r.id).BindBlob(2, sessions::checkpoint::EncodeTokens(d.tokens));
    RequireOk(tokens.Run());
    for (const DeltaData::Run& dr : d.runs) {
      std::vector<sessions::checkpoint::RunEntry> entries;
      for (size_t i = 0; i < dr.entries.size(); ++i) {
        const DeltaEntry& e = dr.entries[i];
        if (version == 2) {
          mapping.Reset();
          mapping.Bind(1, r.id).Bind(2, dr.layer).Bind(3, static_cast<int64_t>(dr.first + i));
          mapping.BindBlob(4, sessions::blocks::KeyToBytes(e.key));
          RequireOk(mapping.Run());
          continue;
        }
        segment.Reset();
        segment.Bind(1, d.files[e.file]);
        REQUIRE(Unwrap(segment.Step()));
        entries.push_back({e.key, segment.Int(0), e.offset, e.length, e.crc, e.hot_length, e.hot_crc, e.cold_crc});
      }
      if (version == 3) {
        run.Reset();
        run.Bind(1, r.id).Bind(2, dr.layer).Bind(3, static_cast<int64_t>(dr.first));
        run.BindBlob(4, sessions::checkpoint::EncodeRunEntries(entries));
        RequireOk(run.Run());
      }
    }
  }
}

// The checkpoints table as version 1 created it: its stored DDL up to the
// delta columns, the rows copied over.
void DropDeltaColumns(sessions::db::Db* db) {
  std::string sql;
  {
    auto ddl = Unwrap(db->Prepare("SELECT sql FROM sqlite_master WHERE name = 'checkpoints'"));
    REQUIRE(Unwrap(ddl.Step()));
    sql = ddl.Text(0);
  }
  const size_t cut = sql.find(", delta_segment");
  REQUIRE(cut != std::string::npos);
  sql = sql.substr(0, cut) + ")";
  sql.replace(sql.find("checkpoints"), 11, "checkpoints_v1");
  RequireOk(db->Exec(sql));
  RequireOk(db->Exec("INSERT INTO checkpoints_v1 SELECT id, session_id, seq, parent_id, n_past, history_base, tokens,"
                     " live_file, live_bytes, live_crc, sampler, event_seq, new_blocks, created_us FROM checkpoints;"
                     "DROP TABLE checkpoints; ALTER TABLE checkpoints_v1 RENAME TO checkpoints;"
                     "CREATE INDEX checkpoints_by_parent ON checkpoints(parent_id);"));
}

// Rewrites a store written now (schema 4) as schema `version` (2 or 3)
// kept it.
void Downgrade(const std::string& dir, int version) {
  auto db = Unwrap(sessions::db::Db::Open(dir + "/sessions.db", 1000));
  RequireOk(db->Exec("PRAGMA foreign_keys=OFF; BEGIN"));
  MoveDeltasIntoRows(db.get(), dir, version);
  DropDeltaColumns(db.get());
  if (version == 2) RequireOk(db->Exec("DROP TABLE checkpoint_block_runs"));
  RequireOk(db->Exec("PRAGMA user_version = " + std::to_string(version) + "; COMMIT"));
}

}  // namespace

TEST_CASE("A delta record round-trips and rejects malformed bytes", "[sessions][delta]") {
  const DeltaData d = SampleDelta();
  const std::string bytes = sessions::checkpoint::EncodeDelta(d);
  const auto view = Unwrap(sessions::checkpoint::ParseDelta(bytes));
  REQUIRE(view.files.size() == 2);
  CHECK(view.files[0] == "blocks/a.lhseg");
  CHECK(view.token_count() == 4);
  REQUIRE(view.runs.size() == 2);
  CHECK(view.runs[0].layer == 0);
  CHECK(view.runs[0].first == 7);
  CHECK(view.runs[0].count() == 2);
  const DeltaEntry e = sessions::checkpoint::DeltaEntryAt(view.runs[0].entries, 1);
  CHECK(e.key == sessions::blocks::BlockKey{3, 4});
  CHECK(e.file == 1);
  CHECK(e.offset == 9000);
  CHECK(e.length == 120);
  CHECK(e.hot_length == 30);
  const DeltaData back = sessions::checkpoint::ToData(view);
  CHECK(back.tokens == d.tokens);
  CHECK(sessions::checkpoint::EncodeDelta(back) == bytes);

  // Every truncation and every extension fails cleanly, never reads out of bounds.
  for (size_t n = 0; n < bytes.size(); ++n) {
    CHECK(sessions::checkpoint::ParseDelta(bytes.substr(0, n)).status().code() == base::StatusCode::kCorruption);
  }
  CHECK_FALSE(sessions::checkpoint::ParseDelta(bytes + "x").ok());
  // An entry naming a file the table does not have.
  std::string bad_file = bytes;
  const size_t entry0_file = bytes.size() - (16 + 3 * sessions::checkpoint::kDeltaEntryBytes) + 16;
  bad_file[entry0_file] = 9;
  CHECK(sessions::checkpoint::ParseDelta(bad_file).status().message().find("names no file") != std::string::npos);
  // A location a record cannot hold.
  DeltaData unsplit;
  auto loc = Loc("blocks/a.lhseg", 8, 100);
  loc.hot_length = -1;
  CHECK(unsplit.Add(0, 0, {1, 1}, loc).code() == base::StatusCode::kInvalidArgument);
}

TEST_CASE("gc rewrites another session's delta when it compacts the segment it shares from", "[sessions][gc]") {
  StoreFixture f;
  auto store = f.Open();
  // a writes 16 tokens, then 240 more in its own segment; b shares a's
  // first blocks by key, so b's delta (in b's segment) names a's segment.
  auto prefix = Tokens(0, 16);
  FakeKv a, b;
  a.Eval(prefix);
  b.Eval(prefix);
  {
    auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
    Unwrap(wa->CheckpointFrom(a, prefix, Sampler(1)));
    auto history = prefix;
    auto more = Tokens(16, 240);
    a.Eval(more);
    Append(&history, more);
    Unwrap(wa->CheckpointFrom(a, history, Sampler(2)));
  }
  {
    auto wb = Unwrap(store->CreateFor(b, {.name = "b"}));
    auto st = Unwrap(wb->CheckpointFrom(b, prefix, Sampler(3)));
    REQUIRE(st.new_blocks == 0);
    REQUIRE(st.shared_blocks > 0);
  }
  const std::string a_id = Unwrap(store->Find("a")).id;
  const std::string b_digest = b.Digest();
  std::string a_segment;
  {
    auto db = Unwrap(sessions::db::Db::Open(f.dir + "/sessions.db", 1000));
    const auto rows = DeltaRows(db.get());
    REQUIRE(rows.size() == 3);
    const DeltaData b_delta = ReadDelta(f.dir, rows[2]);
    REQUIRE(b_delta.files.size() == 1);
    a_segment = b_delta.files[0];
    CHECK(a_segment.find(a_id) != std::string::npos);
    CHECK(rows[2].file != a_segment);  // b's own delta lives in b's segment
  }
  // Without a, its segment is mostly dead: only b's shared blocks live.
  RequireOk(store->Remove("a"));
  auto gc = Unwrap(store->Gc());
  CHECK(gc.segments_compacted == 1);
  CHECK_FALSE(Unwrap(base::DefaultFileSystem()->Exists(f.dir + "/" + a_segment)));
  {
    auto db = Unwrap(sessions::db::Db::Open(f.dir + "/sessions.db", 1000));
    const auto rows = DeltaRows(db.get());
    REQUIRE(rows.size() == 1);
    const DeltaData b_delta = ReadDelta(f.dir, rows[0]);
    for (const std::string& file : b_delta.files) CHECK(file != a_segment);
  }
  FakeKv resumed;
  CHECK(Unwrap(store->LoadInto("b", &resumed)).history == prefix);
  CHECK(resumed.Digest() == b_digest);
  // And b goes on from there.
  auto writer = Unwrap(store->OpenWriter("b"));
  FakeKv again;
  Unwrap(writer->RestoreInto(&again));
  auto history = prefix;
  auto more = Tokens(500, 40);
  again.Eval(more);
  Append(&history, more);
  Unwrap(writer->CheckpointFrom(again, history, Sampler(4)));
  FakeKv last;
  CHECK(Unwrap(store->LoadInto("b", &last)).history == history);
  CHECK(last.Digest() == again.Digest());
}

TEST_CASE("Checkpoints written by schemas 2 and 3 resume, mix with deltas and survive gc", "[sessions][db]") {
  for (const int version : {2, 3}) {
    DYNAMIC_SECTION("schema " << version) {
      StoreFixture f;
      FakeKv kv;
      std::vector<int32_t> history = Tokens(0, 100);
      kv.Eval(history);
      {
        auto store = f.Open();
        auto writer = Unwrap(store->CreateFor(kv, {.name = "old"}));
        Unwrap(writer->CheckpointFrom(kv, history, Sampler(7)));
      }
      Downgrade(f.dir, version);
      {
        auto db = Unwrap(sessions::db::Db::Open(f.dir + "/sessions.db", 1000));
        auto legacy = Unwrap(db->Prepare(version == 2 ? "SELECT COUNT(*) FROM checkpoint_blocks"
                                                      : "SELECT COUNT(*) FROM checkpoint_block_runs"));
        REQUIRE(Unwrap(legacy.Step()));
        CHECK(legacy.Int(0) == (version == 2 ? 12 + 11 + 12 : 3));
      }
      auto store = f.Open();  // migrates to the current version
      auto writer = Unwrap(store->OpenWriter("old"));
      FakeKv resumed;
      CHECK(Unwrap(writer->RestoreInto(&resumed)).history == history);
      CHECK(resumed.Digest() == kv.Digest());
      // A new checkpoint on top writes a delta; the chain mixes both kinds.
      auto more = Tokens(100, 60);
      kv.Eval(more);
      resumed.Eval(more);
      Append(&history, more);
      Unwrap(writer->CheckpointFrom(resumed, history, Sampler(8)));
      FakeKv reader;
      CHECK(Unwrap(store->LoadInto("old", &reader)).history == history);
      CHECK(reader.Digest() == kv.Digest());
      // gc keeps every block either kind maps.
      Unwrap(store->Gc());
      FakeKv after_gc;
      CHECK(Unwrap(store->LoadInto("old", &after_gc)).history == history);
      CHECK(after_gc.Digest() == kv.Digest());
    }
  }
}

namespace {

// The real disk, running `on_sync_dir` once, at the first directory sync:
// for gc, the moment its compacted copies are durable and its transaction
// has not begun.
class HookedFileSystem : public base::ForwardingFileSystem {
 public:
  explicit HookedFileSystem(std::function<void()> on_sync_dir) : hook_(std::move(on_sync_dir)) {}
  base::Status SyncDir(const std::string& p) override {
    if (hook_) std::exchange(hook_, nullptr)();
    return target()->SyncDir(p);
  }

 private:
  std::function<void()> hook_;
};

}  // namespace

TEST_CASE("A checkpoint that starts sharing a segment while gc compacts it keeps the segment", "[sessions][gc]") {
  StoreFixture f;
  auto store = f.Open();
  auto prefix = Tokens(0, 16);
  int64_t first = 0;
  {
    FakeKv a;
    a.Eval(prefix);
    auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
    first = Unwrap(wa->CheckpointFrom(a, prefix, Sampler(1))).checkpoint_id;
    auto history = prefix;
    auto more = Tokens(16, 240);
    a.Eval(more);
    Append(&history, more);
    Unwrap(wa->CheckpointFrom(a, history, Sampler(2)));
  }
  Unwrap(store->Fork("a", {.at_checkpoint = first, .name = "keep"}));
  RequireOk(store->Remove("a"));

  // While gc copies a's mostly dead segment, session c checkpoints the
  // same prefix: its blocks are shared from that segment.
  FakeKv c;
  c.Eval(prefix);
  HookedFileSystem hooked([&] {
    auto wc = Unwrap(store->CreateFor(c, {.name = "c"}));
    REQUIRE(Unwrap(wc->CheckpointFrom(c, prefix, Sampler(3))).shared_blocks > 0);
  });
  sessions::StoreOptions gc_options;
  gc_options.data_dir = f.dir;
  gc_options.fs = &hooked;
  auto gc_store = Unwrap(sessions::Store::Open(gc_options));
  CHECK(Unwrap(gc_store->Gc()).segments_compacted == 0);  // left for the next gc

  FakeKv resumed_c;
  CHECK(Unwrap(store->LoadInto("c", &resumed_c)).history == prefix);
  CHECK(resumed_c.Digest() == c.Digest());
  // The next gc compacts it, rewriting both deltas that name it.
  CHECK(Unwrap(store->Gc()).segments_compacted == 1);
  FakeKv after_c, after_keep;
  CHECK(Unwrap(store->LoadInto("c", &after_c)).history == prefix);
  CHECK(after_c.Digest() == c.Digest());
  CHECK(Unwrap(store->LoadInto("keep", &after_keep)).history == prefix);
  CHECK(after_keep.Digest() == c.Digest());
}

TEST_CASE("A delta that maps an absurd block index is refused, not allocated", "[sessions][delta]") {
  StoreFixture f;
  FakeKv kv;
  const auto history = Tokens(0, 40);
  kv.Eval(history);
  {
    auto store = f.Open();
    auto writer = Unwrap(store->CreateFor(kv, {.name = "s"}));
    Unwrap(writer->CheckpointFrom(kv, history, Sampler(1)));
  }
  {
    // A well-formed record (right CRC) whose first run starts at block 2^30,
    // appended to the segment and pointed at by the row.
    auto db = Unwrap(sessions::db::Db::Open(f.dir + "/sessions.db", 1000));
    const auto rows = DeltaRows(db.get());
    REQUIRE(rows.size() == 1);
    DeltaData d = ReadDelta(f.dir, rows[0]);
    REQUIRE_FALSE(d.runs.empty());
    d.runs[0].first = uint64_t{1} << 30;
    const std::string record = sessions::checkpoint::EncodeDelta(d);
    const std::string path = f.dir + "/" + rows[0].file;
    std::string bytes = Unwrap(base::DefaultFileSystem()->ReadFile(path));
    const size_t offset = bytes.size();
    bytes += record;
    RequireOk(base::DefaultFileSystem()->WriteFileAtomic(path, bytes));
    auto upd = Unwrap(db->Prepare("UPDATE checkpoints SET delta_offset = ?2, delta_length = ?3, delta_crc = ?4"
                                  " WHERE id = ?1"));
    upd.Bind(1, rows[0].id).Bind(2, static_cast<int64_t>(offset)).Bind(3, static_cast<int64_t>(record.size()));
    upd.Bind(4, static_cast<int64_t>(base::Crc32c(record.data(), record.size())));
    RequireOk(upd.Run());
  }
  auto store = f.Open();
  FakeKv resumed;
  auto r = store->LoadInto("s", &resumed);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == base::StatusCode::kCorruption);
  CHECK(r.status().message().find("out of range") != std::string::npos);
  CHECK(resumed.n_past() == 0);
}
