// Bit-identical resume on real models: the engine's own KV export and
// restore behind the store. Logits after resume must equal, bit for bit,
// those of a context that never stopped (same backend, same threads).
#include <catch2/catch.hpp>
#include <cstring>

#include "base/fault_filesystem.h"
#include "engine/engine.h"
#include "engine/model_file.h"
#include "sessions/store.h"
#include "tests/testing.h"

namespace {

constexpr char kPolicy[] = "tiered:sink=4,window=64,unit=4,block=32,topk=4,dense_layers=0";

template <typename T>
T Unwrap(base::Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string TinyModel(const std::string& dir, const std::string& arch, uint64_t seed) {
  engine::TinyModelSpec spec;
  spec.arch = arch;
  spec.n_layer = 2;
  spec.n_embd = 64;
  spec.n_head = 4;
  spec.n_head_kv = 2;
  spec.n_ff = 128;
  spec.context_length = 1024;
  spec.seed = seed;
  const std::string path = dir + "/" + arch + "-" + std::to_string(seed) + ".gguf";
  base::Status s = engine::WriteTinyModel(spec, path);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return path;
}

std::unique_ptr<engine::Context> MakeContext(const engine::Model& model, const std::string& policy = kPolicy) {
  engine::ContextOptions o;
  o.n_ctx = 1024;
  o.n_threads = 2;
  o.n_batch = 64;
  o.kv_policy = Unwrap(engine::ParseKvPolicy(policy));
  return Unwrap(engine::Context::Create(model, o));
}

std::vector<int32_t> Prompt(const engine::Model& model, int n) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((i * 131 + 7) % model.n_vocab());
  return t;
}

// Samples and evaluates `steps` tokens; returns every step's logits.
std::vector<std::vector<float>> Continue(engine::Context* ctx, engine::Sampler* sampler, std::vector<int32_t>* history,
                                         int steps) {
  std::vector<std::vector<float>> out;
  for (int i = 0; i < steps; ++i) {
    auto logits = ctx->logits();
    out.emplace_back(logits.begin(), logits.end());
    const int32_t next = sampler->Sample(logits, *history);
    history->push_back(next);
    base::Status s = ctx->Eval(std::span<const int32_t>(&history->back(), 1));
    REQUIRE(s.ok());
  }
  return out;
}

// Every closed block of `a` (resumed) equals `b`'s (the original), byte for byte.
void CheckSameBlocks(const engine::Context& a, const engine::Context& b, int n_layer) {
  for (int l = 0; l < n_layer; ++l) {
    REQUIRE(a.kv_closed_blocks(l) > 0);
    REQUIRE(b.kv_closed_blocks(l) >= a.kv_closed_blocks(l));  // b may have run on
    for (int64_t i = 0; i < a.kv_closed_blocks(l); ++i) {
      INFO("layer " << l << " block " << i);
      CHECK(*a.ExportKvBlock(l, i) == *b.ExportKvBlock(l, i));
    }
  }
}

bool BitEqual(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<sessions::Store> OpenStore(const std::string& dir) {
  sessions::StoreOptions o;
  o.data_dir = dir;
  return Unwrap(sessions::Store::Open(o));
}

// Runs a session to a checkpoint, keeps going uninterrupted, then resumes
// the checkpoint in a fresh context and store and compares.
void CheckBitIdenticalResume(const std::string& model_path) {
  const std::string dir = testing::MakeTempDir("lh_sess_engine");
  auto model = Unwrap(engine::Model::Load(model_path));
  engine::SamplerParams params;
  params.temperature = 0.9f;
  params.seed = 11;

  auto original = MakeContext(model);
  std::vector<int32_t> history = Prompt(model, 150);
  REQUIRE(original->Eval(history).ok());
  engine::Sampler sampler(params);
  Continue(original.get(), &sampler, &history, 20);
  REQUIRE(original->kv_closed_blocks(0) >= 4);
  {
    auto store = OpenStore(dir);
    auto writer = Unwrap(store->Create(*original, {.name = "s", .model_path = model_path}));
    auto stats = Unwrap(writer->Checkpoint(*original, history, {sampler.rng_state()}));
    CHECK(stats.new_blocks > 0);
  }
  std::vector<int32_t> uninterrupted_history = history;
  auto uninterrupted = Continue(original.get(), &sampler, &uninterrupted_history, 12);

  auto store = OpenStore(dir);
  auto writer = Unwrap(store->OpenWriter("s"));
  auto resumed = MakeContext(model);
  auto r = Unwrap(writer->Restore(resumed.get()));
  CHECK(r.history == history);
  CHECK(resumed->n_past() == static_cast<int64_t>(history.size()));
  CHECK(r.blocks_loaded > 0);
  CheckSameBlocks(*resumed, *original, model.Summary().n_layer);
  engine::Sampler resumed_sampler(params);
  resumed_sampler.set_rng_state(r.sampler.rng);
  std::vector<int32_t> resumed_history = r.history;
  auto after = Continue(resumed.get(), &resumed_sampler, &resumed_history, 12);
  CHECK(resumed_history == uninterrupted_history);
  CHECK(BitEqual(after, uninterrupted));

  // Fork isolation: the fork goes elsewhere; the parent still resumes the same.
  auto fork = Unwrap(store->Fork("s", {.name = "f"}));
  {
    auto fw = Unwrap(store->OpenWriter("f"));
    auto fctx = MakeContext(model);
    auto fr = Unwrap(fw->Restore(fctx.get()));
    std::vector<int32_t> fh = fr.history;
    std::vector<int32_t> other = Prompt(model, 40);
    REQUIRE(fctx->Eval(other).ok());
    fh.insert(fh.end(), other.begin(), other.end());
    Unwrap(fw->Checkpoint(*fctx, fh, {}));
  }
  auto again = MakeContext(model);
  auto r2 = Unwrap(store->Load("s", again.get()));
  CHECK(r2.history == history);
  engine::Sampler s2(params);
  s2.set_rng_state(r2.sampler.rng);
  std::vector<int32_t> h2 = r2.history;
  CHECK(BitEqual(Continue(again.get(), &s2, &h2, 12), uninterrupted));
}

}  // namespace

TEST_CASE("Resume is bit-identical on a tiny llama", "[sessions][engine]") {
  CheckBitIdenticalResume(TinyModel(testing::MakeTempDir("lh_tiny"), "llama", 1));
}

TEST_CASE("Resume is bit-identical on a tiny qwen2", "[sessions][engine]") {
  CheckBitIdenticalResume(TinyModel(testing::MakeTempDir("lh_tiny"), "qwen2", 1));
}

TEST_CASE("Resume is bit-identical on stories260K", "[sessions][engine]") {
  REQUIRE_TESTDATA(testdata);
  CheckBitIdenticalResume(testdata + "/models/stories260K.gguf");
}

TEST_CASE("Resume refuses another model or policy", "[sessions][engine]") {
  const std::string dir = testing::MakeTempDir("lh_tiny");
  auto model = Unwrap(engine::Model::Load(TinyModel(dir, "llama", 1)));
  auto other = Unwrap(engine::Model::Load(TinyModel(dir, "llama", 2)));
  auto store = OpenStore(testing::MakeTempDir("lh_sess_engine"));
  {
    auto ctx = MakeContext(model);
    std::vector<int32_t> h = Prompt(model, 70);
    REQUIRE(ctx->Eval(h).ok());
    auto w = Unwrap(store->Create(*ctx, {.name = "s"}));
    Unwrap(w->Checkpoint(*ctx, h, {}));
  }
  auto wrong_model = MakeContext(other);
  auto r = store->Load("s", wrong_model.get());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == base::StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find(model.Summary().fingerprint) != std::string::npos);
  CHECK(r.status().message().find(other.Summary().fingerprint) != std::string::npos);

  auto wrong_policy = MakeContext(model, "tiered:sink=4,window=64,unit=4,block=32,topk=8,dense_layers=0");
  r = store->Load("s", wrong_policy.get());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("policy") != std::string::npos);
}

TEST_CASE("A checkpoint's bytes grow with the new tokens, not the session", "[sessions][engine]") {
  const std::string dir = testing::MakeTempDir("lh_tiny");
  auto model = Unwrap(engine::Model::Load(TinyModel(dir, "llama", 1)));
  std::vector<int64_t> step_bytes;
  // Both past the point where the exact ring is full (window + slack).
  for (int length : {400, 900}) {
    base::FaultInjectingFileSystem counting(base::DefaultFileSystem(), {});
    sessions::StoreOptions o;
    o.data_dir = testing::MakeTempDir("lh_sess_engine");
    o.fs = &counting;
    auto store = Unwrap(sessions::Store::Open(o));
    auto ctx = MakeContext(model);
    std::vector<int32_t> h = Prompt(model, length);
    // In 64-token calls: the engine's exact ring (part of the live state)
    // grows to the window plus the largest chunk it was given.
    for (size_t i = 0; i < h.size(); i += 64) {
      const size_t n = std::min<size_t>(64, h.size() - i);
      REQUIRE(ctx->Eval(std::span<const int32_t>(h).subspan(i, n)).ok());
    }
    auto w = Unwrap(store->Create(*ctx, {}));
    Unwrap(w->Checkpoint(*ctx, h, {}));
    std::vector<int32_t> step = Prompt(model, 64 + length % 7);
    step.resize(64);
    REQUIRE(ctx->Eval(step).ok());
    h.insert(h.end(), step.begin(), step.end());
    counting.SetPlan({});
    auto stats = Unwrap(w->Checkpoint(*ctx, h, {}));
    CHECK(stats.new_blocks == 2 * 2);  // two 32-token blocks closed in each of 2 layers
    step_bytes.push_back(counting.counters().bytes_written);
  }
  // Equal but for the open block's rows (n % 32 differs).
  CHECK(step_bytes[1] <= step_bytes[0] * 5 / 4);
  CHECK(step_bytes[0] <= step_bytes[1] * 5 / 4);
}

TEST_CASE("Resume after a truncation and regrowth is bit-identical", "[sessions][engine]") {
  // The chain then holds stale block mappings past the truncation point,
  // overridden by the regrown blocks; a resume must use the new ones.
  const std::string dir = testing::MakeTempDir("lh_tiny");
  auto model = Unwrap(engine::Model::Load(TinyModel(dir, "llama", 3)));
  auto store = OpenStore(testing::MakeTempDir("lh_sess_engine"));
  auto ctx = MakeContext(model);
  std::vector<int32_t> h = Prompt(model, 200);
  REQUIRE(ctx->Eval(h).ok());
  auto w = Unwrap(store->Create(*ctx, {.name = "t"}));
  Unwrap(w->Checkpoint(*ctx, h, {}));

  ctx->Truncate(100);
  h.resize(100);
  std::vector<int32_t> other;
  for (int i = 0; i < 130; ++i) other.push_back((i * 17 + 3) % model.n_vocab());
  REQUIRE(ctx->Eval(other).ok());
  h.insert(h.end(), other.begin(), other.end());
  auto stats = Unwrap(w->Checkpoint(*ctx, h, {}));
  CHECK(stats.new_blocks > 0);  // blocks past token 96 were recomputed

  engine::SamplerParams params;
  params.temperature = 0;
  engine::Sampler sampler(params);
  std::vector<int32_t> ref_history = h;
  auto reference = Continue(ctx.get(), &sampler, &ref_history, 8);

  auto resumed = MakeContext(model);
  auto r = Unwrap(store->Load("t", resumed.get()));
  CHECK(r.history == h);
  CheckSameBlocks(*resumed, *ctx, model.Summary().n_layer);
  engine::Sampler s2(params);
  std::vector<int32_t> h2 = r.history;
  CHECK(BitEqual(Continue(resumed.get(), &s2, &h2, 8), reference));
}

// Flips one byte of every block record's payload in the session's segment
// files: `from_end` bytes before the payload's end (in its cold part), or
// `from_start` bytes after its start (in its hot part) when from_end < 0.
// Checkpoint deltas (records starting "LHD1") are left alone.
void DamageEveryBlock(const std::string& dir, int64_t from_end, int64_t from_start) {
  auto* fs = base::DefaultFileSystem();
  for (const std::string& name : Unwrap(fs->ListDir(dir + "/blocks"))) {
    const std::string path = dir + "/blocks/" + name;
    std::string bytes = Unwrap(fs->ReadFile(path));
    for (size_t at = 8; at + 24 <= bytes.size();) {  // segment.h: header, then records
      uint32_t len = 0;
      std::memcpy(&len, bytes.data() + at + 4, 4);
      const size_t payload = at + 24;
      REQUIRE(payload + len + 4 <= bytes.size());
      if (bytes.compare(payload, 4, "LHD1") == 0) {
        at = payload + len + 4;
        continue;
      }
      bytes[from_end >= 0 ? payload + len - 1 - static_cast<size_t>(from_end)
                          : payload + static_cast<size_t>(from_start)] ^= 0x20;
      at = payload + len + 4;
    }
    base::Status written = fs->WriteFileAtomic(path, bytes);
    INFO(written.ToString());
    REQUIRE(written.ok());
  }
}

TEST_CASE("A corrupt cold payload is detected when first read, never used", "[sessions][engine]") {
  // topk covers every unit, so every Eval reads every closed block's payload.
  const char* policy = "tiered:sink=4,window=32,unit=4,block=32,topk=64,rerank=0,dense_layers=0";
  const std::string dir = testing::MakeTempDir("lh_sess_cold");
  auto model = Unwrap(engine::Model::Load(TinyModel(dir, "llama", 1)));
  std::vector<int32_t> h = Prompt(model, 150);
  {
    auto ctx = MakeContext(model, policy);
    REQUIRE(ctx->Eval(h).ok());
    auto store = OpenStore(dir);
    auto w = Unwrap(store->Create(*ctx, {.name = "s"}));
    Unwrap(w->Checkpoint(*ctx, h, {}));
  }
  DamageEveryBlock(dir, /*from_end=*/3, 0);
  auto store = OpenStore(dir);
  auto ctx = MakeContext(model, policy);
  // The resume reads no block bytes, so it succeeds...
  auto r = Unwrap(store->Load("s", ctx.get()));
  CHECK(r.history == h);
  CHECK(r.bytes_mapped > 0);
  // ...and the Eval that first reads one fails, naming it, as does every
  // later Eval until the context is reset.
  base::Status s = ctx->Eval(std::vector<int32_t>{5});
  INFO(s.ToString());
  CHECK(s.code() == base::StatusCode::kCorruption);
  CHECK(s.message().find("cold payload") != std::string::npos);
  CHECK(s.message().find("CRC32C") != std::string::npos);
  CHECK(ctx->Eval(std::vector<int32_t>{6}).code() == base::StatusCode::kCorruption);

  // Damage to a hot part (the selection index) is caught the same way: on
  // the layer's first use, before any result is returned.
  DamageEveryBlock(dir, -1, /*from_start=*/45);
  auto again = MakeContext(model, policy);
  auto resumed = Unwrap(store->Load("s", again.get()));
  CHECK(resumed.history == h);
  base::Status hot = again->Eval(std::vector<int32_t>{5});
  INFO(hot.ToString());
  CHECK(hot.code() == base::StatusCode::kCorruption);
  CHECK(hot.message().find("hot part") != std::string::npos);
  CHECK(hot.message().find("CRC32C") != std::string::npos);
  CHECK(again->Eval(std::vector<int32_t>{6}).code() == base::StatusCode::kCorruption);
}


TEST_CASE("Blocks recomputed after a truncation are checkpointed even where the tokens did not change",
          "[sessions][engine]") {
  // The agent truncates the cache to a token boundary and re-evaluates,
  // sometimes with the same tokens as before. Recomputed with another
  // chunking (prefill selection differs from decode), their rows can
  // differ in the last bits: a checkpoint must store what the context now
  // holds, or a resume would not be bit-identical.
  const std::string dir = testing::MakeTempDir("lh_sess_recompute");
  auto model = Unwrap(engine::Model::Load(TinyModel(dir, "llama", 5)));
  std::vector<int32_t> h = Prompt(model, 200);
  auto ctx = MakeContext(model);
  REQUIRE(ctx->Eval(h).ok());
  auto store = OpenStore(dir);
  auto writer = Unwrap(store->Create(*ctx, {.name = "s"}));
  Unwrap(writer->Checkpoint(*ctx, h, {}));

  ctx->Truncate(70);
  for (size_t i = 70; i < h.size(); ++i) REQUIRE(ctx->Eval(std::span<const int32_t>(&h[i], 1)).ok());
  const std::vector<int32_t> more = {3, 1, 4, 1, 5, 9, 2, 6};
  REQUIRE(ctx->Eval(more).ok());
  h.insert(h.end(), more.begin(), more.end());
  Unwrap(writer->Checkpoint(*ctx, h, {}));

  auto resumed = MakeContext(model);
  CHECK(Unwrap(store->Load("s", resumed.get())).history == h);
  CheckSameBlocks(*resumed, *ctx, model.Summary().n_layer);
  const auto a = ctx->logits();
  const auto b = resumed->logits();
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
