// The store's protocol against the fake KV: checkpoint, resume, fork,
// writer exclusion, rm and gc, events.
#include <unistd.h>

#include <functional>
#include <utility>

#include "base/fault_filesystem.h"
#include "sessions/blocks/block_key.h"
#include "sessions/db/sqlite.h"
#include "tests/sessions/session_fixture.h"

using namespace sessions_testing;

namespace {

sessions::SamplerState Sampler(uint64_t x) { return sessions::SamplerState{{x, x + 1, x + 2, x + 3}}; }

}  // namespace

TEST_CASE("Resume restores exactly the checkpointed state", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  std::vector<int32_t> history = Tokens(0, 100);
  kv.Eval(history);
  std::string digest;
  {
    auto writer = Unwrap(store->CreateFor(kv, {.name = "alpha"}));
    auto stats = Unwrap(writer->CheckpointFrom(kv, history, Sampler(42)));
    CHECK(stats.n_past == 100);
    CHECK(stats.new_blocks == 12 + 11 + 12);  // 100 / 8 blocks; the odd layer lags one
    digest = kv.Digest();
  }
  // A fresh process: new store, new context.
  auto store2 = f.Open();
  auto writer = Unwrap(store2->OpenWriter("alpha"));
  FakeKv resumed;
  auto r = Unwrap(writer->RestoreInto(&resumed));
  CHECK(r.history == history);
  CHECK(r.sampler.rng == Sampler(42).rng);
  CHECK(resumed.Digest() == digest);
  CHECK(r.blocks_loaded > 0);

  // Both continue identically.
  auto more = Tokens(100, 37);
  kv.Eval(more);
  resumed.Eval(more);
  CHECK(resumed.Digest() == kv.Digest());
  Append(&history, more);
  auto stats = Unwrap(writer->CheckpointFrom(resumed, history, Sampler(43)));
  CHECK(stats.checkpoint_id > r.checkpoint_id);

  // A reader sees the new head without any lock.
  FakeKv reader;
  auto loaded = Unwrap(store->LoadInto("alpha", &reader));
  CHECK(loaded.history == history);
  CHECK(reader.Digest() == kv.Digest());
}

TEST_CASE("A session with no checkpoint restores nothing", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto writer = Unwrap(store->CreateFor(kv, {.name = "empty"}));
  auto r = Unwrap(writer->RestoreInto(&kv));
  CHECK(r.checkpoint_id == 0);
  CHECK(r.history.empty());
}

TEST_CASE("A checkpoint writes what is new, not the whole session", "[sessions]") {
  // The same 40-token step at three session lengths writes the same bytes,
  // counted independently by a file-system wrapper.
  std::vector<int64_t> bytes;
  std::vector<int64_t> exported;
  for (int length : {64, 1024, 8192}) {
    StoreFixture f;
    base::FaultInjectingFileSystem counting(base::DefaultFileSystem(), {});
    f.fs = &counting;
    auto store = f.Open();
    FakeKv kv;
    auto writer = Unwrap(store->CreateFor(kv, {}));
    std::vector<int32_t> history = Tokens(0, length);
    kv.Eval(history);
    Unwrap(writer->CheckpointFrom(kv, history, Sampler(1)));
    const int64_t before = kv.blocks_exported();
    auto more = Tokens(length, 40);
    kv.Eval(more);
    Append(&history, more);
    counting.SetPlan({});  // zeroes the counters
    auto stats = Unwrap(writer->CheckpointFrom(kv, history, Sampler(2)));
    bytes.push_back(counting.counters().bytes_written);
    CHECK(static_cast<int64_t>(stats.bytes_written) == counting.counters().bytes_written);
    exported.push_back(kv.blocks_exported() - before);
    CHECK(stats.new_blocks == kv.blocks_exported() - before);
  }
  CHECK(exported[0] == 15);  // 5 new blocks in each of 3 layers
  CHECK(exported[1] == exported[0]);
  CHECK(exported[2] == exported[0]);
  CHECK(bytes[1] == bytes[0]);
  CHECK(bytes[2] == bytes[0]);
}

TEST_CASE("Identical prefixes share blocks across sessions", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  auto history = Tokens(0, 64);
  FakeKv a, b;
  a.Eval(history);
  b.Eval(history);
  auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
  auto wb = Unwrap(store->CreateFor(b, {.name = "b"}));
  auto sa = Unwrap(wa->CheckpointFrom(a, history, Sampler(1)));
  auto sb = Unwrap(wb->CheckpointFrom(b, history, Sampler(1)));
  CHECK(sa.new_blocks == 8 + 7 + 8);
  CHECK(sb.new_blocks == 0);
  CHECK(sb.shared_blocks == 8 + 7 + 8);
}

TEST_CASE("Same tokens with other bytes are not shared", "[sessions]") {
  // E.g. a prefix computed on another backend: sharing its blocks would
  // make a resume differ from the run that wrote the checkpoint.
  StoreFixture f;
  auto store = f.Open();
  auto history = Tokens(0, 64);
  FakeKv a, b({.salt = 99});
  a.Eval(history);
  b.Eval(history);
  REQUIRE(a.Digest() != b.Digest());
  {
    auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
    auto wb = Unwrap(store->CreateFor(b, {.name = "b"}));
    Unwrap(wa->CheckpointFrom(a, history, Sampler(1)));
    auto sb = Unwrap(wb->CheckpointFrom(b, history, Sampler(1)));
    CHECK(sb.shared_blocks == 0);
    CHECK(sb.new_blocks == 8 + 7 + 8);
  }
  FakeKv ra, rb({.salt = 99});
  Unwrap(store->LoadInto("a", &ra));
  Unwrap(store->LoadInto("b", &rb));
  CHECK(ra.Digest() == a.Digest());
  CHECK(rb.Digest() == b.Digest());
}

TEST_CASE("Fork is isolated from its parent", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv parent;
  auto history = Tokens(0, 40);
  parent.Eval(history);
  auto wp = Unwrap(store->CreateFor(parent, {.name = "parent"}));
  auto first = Unwrap(wp->CheckpointFrom(parent, history, Sampler(1)));
  const std::string at_fork = parent.Digest();
  const auto history_at_fork = history;
  auto more = Tokens(40, 50);
  parent.Eval(more);
  Append(&history, more);
  Unwrap(wp->CheckpointFrom(parent, history, Sampler(2)));

  auto child_info = Unwrap(store->Fork("parent", {.at_checkpoint = first.checkpoint_id, .name = "child"}));
  CHECK(child_info.parent_id == wp->info().id);
  CHECK(child_info.fork_checkpoint == first.checkpoint_id);
  CHECK(child_info.n_tokens == 40);

  auto wc = Unwrap(store->OpenWriter("child"));
  FakeKv child;
  auto r = Unwrap(wc->RestoreInto(&child));
  CHECK(r.history == history_at_fork);
  CHECK(child.Digest() == at_fork);

  // Both go on, differently.
  auto child_history = history_at_fork;
  auto other = Tokens(5000, 60);
  child.Eval(other);
  Append(&child_history, other);
  auto cs = Unwrap(wc->CheckpointFrom(child, child_history, Sampler(9)));
  CHECK(cs.new_blocks < 3 * 100 / 8);  // the pre-fork blocks were not rewritten
  auto pmore = Tokens(90, 20);
  parent.Eval(pmore);
  Append(&history, pmore);
  Unwrap(wp->CheckpointFrom(parent, history, Sampler(3)));

  FakeKv p2, c2;
  CHECK(Unwrap(store->LoadInto("parent", &p2)).history == history);
  CHECK(p2.Digest() == parent.Digest());
  CHECK(Unwrap(store->LoadInto("child", &c2)).history == child_history);
  CHECK(c2.Digest() == child.Digest());

  // Fork at a checkpoint the session does not reach is refused.
  CHECK(store->Fork("parent", {.at_checkpoint = cs.checkpoint_id}).status().code() == base::StatusCode::kNotFound);
}

TEST_CASE("A second writer gets a clear error", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto writer = Unwrap(store->CreateFor(kv, {.name = "busy"}));
  auto other = f.Open();
  auto second = other->OpenWriter("busy");
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == base::StatusCode::kBusy);
  CHECK(second.status().message().find("busy (" + writer->info().id + ")") != std::string::npos);
  CHECK(second.status().message().find("pid " + std::to_string(::getpid())) != std::string::npos);
  CHECK(other->Remove("busy").code() == base::StatusCode::kBusy);
  writer.reset();  // released: the next writer gets it
  CHECK(other->OpenWriter("busy").ok());
}

TEST_CASE("After the writer restores an earlier checkpoint, a checkpoint stores only what differs", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto history = Tokens(0, 64);
  kv.Eval(history);
  auto writer = Unwrap(store->CreateFor(kv, {.name = "s"}));
  const int64_t first = Unwrap(writer->CheckpointFrom(kv, history, Sampler(1))).checkpoint_id;
  auto more = Tokens(64, 64);
  kv.Eval(more);
  Append(&history, more);
  Unwrap(writer->CheckpointFrom(kv, history, Sampler(2)));

  // An undo to the first checkpoint, then another continuation.
  FakeKv undone;
  CHECK(Unwrap(writer->RestoreAtInto(first, &undone)).history == Tokens(0, 64));
  auto other = Tokens(900, 24);
  undone.Eval(other);
  auto undone_history = Tokens(0, 64);
  Append(&undone_history, other);
  const int64_t exported = undone.blocks_exported();
  Unwrap(writer->CheckpointFrom(undone, undone_history, Sampler(3)));
  // The restored blocks are known to be the head's: only the 3 new blocks
  // of each of the 3 layers are exported.
  CHECK(undone.blocks_exported() - exported == 3 * 3);
  FakeKv resumed;
  CHECK(Unwrap(store->LoadInto("s", &resumed)).history == undone_history);
  CHECK(resumed.Digest() == undone.Digest());
  CHECK(writer->RestoreAtInto(first + 1000, &resumed).status().code() == base::StatusCode::kNotFound);
}

TEST_CASE("A long history is decoded beside the restore and comes back whole", "[sessions]") {
  // Past 64K tokens the resume decodes the history on a second thread.
  StoreFixture f;
  auto store = f.Open();
  FakeKvOptions small;
  small.block_bytes = 64;
  FakeKv kv(small);
  auto history = Tokens(0, 70'000);
  kv.Eval(history);
  {
    auto writer = Unwrap(store->CreateFor(kv, {.name = "long"}));
    Unwrap(writer->CheckpointFrom(kv, history, Sampler(1)));
    auto more = Tokens(70'000, 100);
    kv.Eval(more);
    Append(&history, more);
    Unwrap(writer->CheckpointFrom(kv, history, Sampler(2)));
  }
  FakeKv resumed(small);
  auto writer = Unwrap(store->OpenWriter("long"));
  CHECK(Unwrap(writer->RestoreInto(&resumed)).history == history);
  CHECK(resumed.Digest() == kv.Digest());
  FakeKv read(small);
  CHECK(Unwrap(store->LoadInto("long", &read)).history == history);
}

TEST_CASE("A session refuses another model or policy", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto history = Tokens(0, 20);
  kv.Eval(history);
  {
    auto writer = Unwrap(store->CreateFor(kv, {.name = "m"}));
    Unwrap(writer->CheckpointFrom(kv, history, Sampler(1)));
  }
  FakeKv other_model({.fingerprint = "0123456789abcdef0123456789abcdef"});
  auto writer = Unwrap(store->OpenWriter("m"));
  auto r = writer->RestoreInto(&other_model);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == base::StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find("f00dfeedf00dfeedf00dfeedf00dfeed") != std::string::npos);
  CHECK(r.status().message().find("0123456789abcdef0123456789abcdef") != std::string::npos);

  FakeKv other_policy({.policy = "fake:block=16", .block_tokens = 16});
  r = writer->RestoreInto(&other_policy);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("fake:block=16") != std::string::npos);
  CHECK(writer->CheckpointFrom(other_policy, {}, Sampler(0)).status().code() == base::StatusCode::kFailedPrecondition);
}

TEST_CASE("Find takes a name, an id or a unique id prefix", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto w = Unwrap(store->CreateFor(kv, {.name = "named"}));
  const std::string id = w->info().id;
  CHECK(Unwrap(store->Find("named")).id == id);
  CHECK(Unwrap(store->Find(id)).name == "named");
  CHECK(Unwrap(store->Find(id.substr(0, 6))).id == id);
  CHECK(store->Find("nope").status().code() == base::StatusCode::kNotFound);
  CHECK(store->CreateFor(kv, {.name = "named"}).status().code() == base::StatusCode::kAlreadyExists);
  CHECK(Unwrap(store->List()).size() == 1);
}

TEST_CASE("rm and gc never remove what another session reaches", "[sessions][gc]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv a;
  auto history = Tokens(0, 64);
  a.Eval(history);
  {
    auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
    Unwrap(wa->CheckpointFrom(a, history, Sampler(1)));
    auto more = Tokens(64, 64);
    a.Eval(more);
    Append(&history, more);
    Unwrap(wa->CheckpointFrom(a, history, Sampler(2)));
  }
  const auto first = Unwrap(store->Checkpoints("a")).front();
  Unwrap(store->Fork("a", {.at_checkpoint = first.id, .name = "b"}));
  RequireOk(store->Remove("a"));
  CHECK(store->Find("a").status().code() == base::StatusCode::kNotFound);
  auto gc = Unwrap(store->Gc());
  CHECK(gc.checkpoints_removed == 1);  // a's second; its first is b's fork point
  CHECK(gc.blocks_removed == 3 * 8);   // only the blocks past token 64

  FakeKv b;
  auto r = Unwrap(store->LoadInto("b", &b));
  CHECK(r.history == Tokens(0, 64));

  RequireOk(store->Remove("b"));
  gc = Unwrap(store->Gc());
  CHECK(gc.checkpoints_removed == 1);
  CHECK(gc.segments_removed >= 1);
  CHECK(Unwrap(base::DefaultFileSystem()->ListDir(f.dir + "/live")).empty());
  CHECK(Unwrap(base::DefaultFileSystem()->ListDir(f.dir + "/blocks")).empty());
  CHECK(Unwrap(base::DefaultFileSystem()->ListDir(f.dir + "/locks")).empty());  // removed sessions' locks
}

TEST_CASE("gc compacts segments that are mostly dead", "[sessions][gc]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv a;
  auto history = Tokens(0, 16);
  a.Eval(history);
  std::string digest_at_first;
  int64_t first = 0;
  {
    // Both checkpoints land in the writer's one segment.
    auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
    first = Unwrap(wa->CheckpointFrom(a, history, Sampler(1))).checkpoint_id;
    digest_at_first = a.Digest();
    auto more = Tokens(16, 240);
    a.Eval(more);
    Append(&history, more);
    Unwrap(wa->CheckpointFrom(a, history, Sampler(2)));
  }
  CHECK(Unwrap(base::DefaultFileSystem()->ListDir(f.dir + "/blocks")).size() == 1);
  Unwrap(store->Fork("a", {.at_checkpoint = first, .name = "keep"}));
  RequireOk(store->Remove("a"));
  const auto segments_before = Unwrap(base::DefaultFileSystem()->ListDir(f.dir + "/blocks"));
  auto gc = Unwrap(store->Gc());
  CHECK(gc.segments_compacted == 1);
  CHECK(gc.bytes_reclaimed > 0);
  const auto segments_after = Unwrap(base::DefaultFileSystem()->ListDir(f.dir + "/blocks"));
  CHECK(segments_after != segments_before);
  FakeKv k;
  CHECK(Unwrap(store->LoadInto("keep", &k)).history == Tokens(0, 16));
  CHECK(k.Digest() == digest_at_first);
}

TEST_CASE("Events are logged in order and validated", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto w = Unwrap(store->CreateFor(kv, {.name = "ev"}));
  RequireOk(w->AppendEvent("user", R"({"text":"hi"})"));
  RequireOk(w->AppendEvent("assistant", R"({"text":"hello"})"));
  CHECK(w->AppendEvent("user", "{not json").code() == base::StatusCode::kInvalidArgument);
  auto events = Unwrap(store->Events("ev"));
  REQUIRE(events.size() == 2);
  CHECK(events[0].seq == 1);
  CHECK(events[0].kind == "user");
  CHECK(events[1].payload == R"({"text":"hello"})");
  CHECK(Unwrap(store->Find("ev")).n_events == 2);
}

TEST_CASE("A fork inherits its ancestors' events up to the fork point", "[sessions]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv kv;
  auto history = Tokens(0, 20);
  kv.Eval(history);
  int64_t a_first = 0;
  {
    auto w = Unwrap(store->CreateFor(kv, {.name = "a"}));
    RequireOk(w->AppendEvent("user", R"({"n":"a1"})"));
    a_first = Unwrap(w->CheckpointFrom(kv, history, {})).checkpoint_id;
    RequireOk(w->AppendEvent("user", R"({"n":"a2"})"));
    auto more = Tokens(20, 10);
    kv.Eval(more);
    Append(&history, more);
    Unwrap(w->CheckpointFrom(kv, history, {}));  // a's head: after a2
    RequireOk(w->AppendEvent("user", R"({"n":"a3"})"));  // after every checkpoint of a
  }
  auto payloads = [](const std::vector<sessions::Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.payload);
    return out;
  };
  // At a's first checkpoint: a1 only; at its head: a1, a2 (a3 came later).
  Unwrap(store->Fork("a", {.at_checkpoint = a_first, .name = "early"}));
  Unwrap(store->Fork("a", {.name = "b"}));
  CHECK(payloads(Unwrap(store->Events("early"))) == std::vector<std::string>{R"({"n":"a1"})"});
  {
    auto w = Unwrap(store->OpenWriter("b"));
    FakeKv bk;
    Unwrap(w->RestoreInto(&bk));
    RequireOk(w->AppendEvent("user", R"({"n":"b1"})"));
    auto more = Tokens(500, 9);
    bk.Eval(more);
    auto bh = history;
    Append(&bh, more);
    Unwrap(w->CheckpointFrom(bk, bh, {}));
    RequireOk(w->AppendEvent("user", R"({"n":"b2"})"));
  }
  const auto b_events = Unwrap(store->Events("b"));
  CHECK(payloads(b_events) ==
        std::vector<std::string>{R"({"n":"a1"})", R"({"n":"a2"})", R"({"n":"b1"})", R"({"n":"b2"})"});
  CHECK(b_events[0].session_id == Unwrap(store->Find("a")).id);
  CHECK(b_events[2].session_id == Unwrap(store->Find("b")).id);
  CHECK(b_events[2].seq == 1);
  // A fork of a fork: a's part, then b's up to b's checkpoint, then its own.
  Unwrap(store->Fork("b", {.name = "c"}));
  {
    auto w = Unwrap(store->OpenWriter("c"));
    RequireOk(w->AppendEvent("user", R"({"n":"c1"})"));
  }
  CHECK(payloads(Unwrap(store->Events("c"))) ==
        std::vector<std::string>{R"({"n":"a1"})", R"({"n":"a2"})", R"({"n":"b1"})", R"({"n":"c1"})"});
  // The parent's own log is unchanged.
  CHECK(payloads(Unwrap(store->Events("a"))) ==
        std::vector<std::string>{R"({"n":"a1"})", R"({"n":"a2"})", R"({"n":"a3"})"});
}

TEST_CASE("Readers open and read while a writer holds a transaction", "[sessions]") {
  StoreFixture f;
  {
    auto store = f.Open();
    FakeKv kv;
    auto history = Tokens(0, 24);
    kv.Eval(history);
    auto w = Unwrap(store->CreateFor(kv, {.name = "r"}));
    Unwrap(w->CheckpointFrom(kv, history, Sampler(1)));
  }
  auto blocker = Unwrap(sessions::db::Db::Open(f.dir + "/sessions.db", 10));
  RequireOk(blocker->Exec("BEGIN IMMEDIATE"));
  auto reader = f.Open(/*busy_timeout_ms=*/20);
  CHECK(Unwrap(reader->List()).size() == 1);
  FakeKv kv;
  CHECK(Unwrap(reader->LoadInto("r", &kv)).history == Tokens(0, 24));
  RequireOk(blocker->Exec("ROLLBACK"));
}

namespace {

// Runs `before` at the start of Restore: lets a test put a concurrent gc
// between the reader's index read and its block fetches.
class HookedKv final : public sessions::internal::KvState {
 public:
  HookedKv(FakeKv* inner, std::function<void()> before) : inner_(inner), before_(std::move(before)) {}
  std::string model_fingerprint() const override { return inner_->model_fingerprint(); }
  std::string policy_text() const override { return inner_->policy_text(); }
  int n_layers() const override { return inner_->n_layers(); }
  int64_t block_tokens() const override { return inner_->block_tokens(); }
  int64_t n_past() const override { return inner_->n_past(); }
  int64_t closed_blocks(int layer) const override { return inner_->closed_blocks(layer); }
  base::Result<engine::KvBlock> ExportBlock(int l, int64_t i) const override { return inner_->ExportBlock(l, i); }
  base::Result<std::string> ExportLiveState() const override { return inner_->ExportLiveState(); }
  base::Status Restore(std::string_view live, const engine::KvBlockFetcher& fetch) override {
    if (before_) std::exchange(before_, nullptr)();
    return inner_->Restore(live, fetch);
  }
  engine::KvMark kv_mark() const override { return inner_->kv_mark(); }
  int64_t unchanged_since(const engine::KvMark& m) const override { return inner_->unchanged_since(m); }

 private:
  FakeKv* inner_;
  std::function<void()> before_;
};

}  // namespace

TEST_CASE("A resume survives gc compacting its blocks mid-restore", "[sessions][gc]") {
  StoreFixture f;
  auto store = f.Open();
  FakeKv a;
  auto history = Tokens(0, 16);
  a.Eval(history);
  int64_t first = 0;
  std::string digest_at_first;
  {
    auto wa = Unwrap(store->CreateFor(a, {.name = "a"}));
    first = Unwrap(wa->CheckpointFrom(a, history, Sampler(1))).checkpoint_id;
    digest_at_first = a.Digest();
    auto more = Tokens(16, 240);
    a.Eval(more);
    Append(&history, more);
    Unwrap(wa->CheckpointFrom(a, history, Sampler(2)));
  }
  Unwrap(store->Fork("a", {.at_checkpoint = first, .name = "keep"}));
  RequireOk(store->Remove("a"));

  auto gc_store = f.Open();
  int64_t compacted = 0;
  FakeKv k;
  HookedKv hooked(&k, [&] { compacted = Unwrap(gc_store->Gc()).segments_compacted; });
  auto r = Unwrap(store->LoadInto("keep", &hooked));
  CHECK(compacted == 1);
  CHECK(r.history == Tokens(0, 16));
  CHECK(k.Digest() == digest_at_first);
}
