// Context's checkpoint API: export closed blocks and the live state, restore
// into a fresh context, and continue bit-identically; bad bytes are clear
// errors that leave the context empty and usable.
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/hash.h"
#include "engine/engine.h"
#include "engine/model_file.h"
#include "tests/testing.h"

namespace {

struct Checkpoint {
  std::string live;
  std::map<std::pair<int, int64_t>, engine::KvBlock> blocks;
};

const engine::Model& TinyModel() {
  static const engine::Model model = [] {
    engine::TinyModelSpec spec;
    spec.n_layer = 2;
    spec.n_embd = 64;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_ff = 128;
    spec.seed = 7;
    const std::string path = testing::MakeTempDir("kv_checkpoint") + "/tiny.gguf";
    REQUIRE(engine::WriteTinyModel(spec, path).ok());
    auto m = engine::Model::Load(path);
    REQUIRE(m.ok());
    return *m;
  }();
  return model;
}

std::unique_ptr<engine::Context> NewContext(const std::string& policy) {
  engine::ContextOptions o;
  o.n_ctx = 1024;
  o.n_threads = 2;
  o.n_batch = 48;  // chunks that straddle block boundaries
  auto parsed = engine::ParseKvPolicy(policy);
  REQUIRE(parsed.ok());
  o.kv_policy = *parsed;
  auto ctx = engine::Context::Create(TinyModel(), o);
  REQUIRE(ctx.ok());
  return std::move(*ctx);
}

std::vector<int32_t> Tokens(int n, int salt) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[static_cast<size_t>(i)] = (i * 37 + salt * 11 + 5) % 500;
  return t;
}

Checkpoint Save(const engine::Context& ctx) {
  Checkpoint c;
  auto live = ctx.ExportKvLiveState();
  REQUIRE(live.ok());
  c.live = *live;
  for (int l = 0; l < 2; ++l) {
    for (int64_t b = 0; b < ctx.kv_closed_blocks(l); ++b) {
      auto bytes = ctx.ExportKvBlock(l, b);
      REQUIRE(bytes.ok());
      c.blocks[{l, b}] = *bytes;
    }
  }
  return c;
}

// The CRC a store would have recorded for block (layer, index) of `c`.
uint32_t ColdCrc(const Checkpoint& c, int layer, int64_t index) {
  const std::string_view cold = c.blocks.at({layer, index}).cold();
  return base::Crc32c(cold.data(), cold.size());
}

// Views that own nothing: the cache copies each cold payload. The CRCs
// are those of `recorded` (default: c itself), as a store records them
// when it writes the blocks.
engine::KvBlockFetcher FetchFrom(const Checkpoint& c, const Checkpoint* recorded = nullptr) {
  return engine::FetchEach([&c, recorded](int layer, int64_t index) -> base::Result<engine::KvBlockView> {
    auto it = c.blocks.find({layer, index});
    if (it == c.blocks.end()) return base::NotFound("no block");
    engine::KvBlockView view = engine::ViewOf(it->second);
    if (recorded) view.cold_crc = ColdCrc(*recorded, layer, index);
    return view;
  });
}

// Views kept alive by a shared copy of the checkpoint, as a mapped file
// would be: the cache reads cold payloads in place and checks them on
// first read.
engine::KvBlockFetcher FetchInPlace(std::shared_ptr<const Checkpoint> c,
                                    std::shared_ptr<const Checkpoint> recorded = nullptr) {
  return engine::FetchEach([c, recorded](int layer, int64_t index) -> base::Result<engine::KvBlockView> {
    auto it = c->blocks.find({layer, index});
    if (it == c->blocks.end()) return base::NotFound("no block");
    engine::KvBlockView view = engine::ViewOf(it->second);
    if (recorded) view.cold_crc = ColdCrc(*recorded, layer, index);
    view.keep_alive = c;
    return view;
  });
}

bool SameLogits(const engine::Context& a, const engine::Context& b) {
  return a.logits().size() == b.logits().size() &&
         std::memcmp(a.logits().data(), b.logits().data(), a.logits().size_bytes()) == 0;
}

const char* const kPolicies[] = {
    "dense",
    "tiered:sink=4,window=64,unit=4,block=32,topk=4,rerank=0,dense_layers=0",
    "tiered:sink=4,window=64,unit=8,block=32,topk=2,summary=32,dense_layers=1,dense_window=96",
};

}  // namespace

TEST_CASE("A restored context continues bit-identically", "[kv][checkpoint]") {
  for (const char* policy : kPolicies) {
    INFO(policy);
    auto original = NewContext(policy);
    REQUIRE(original->Eval(Tokens(301, 1)).ok());  // 9 closed blocks of 32 (4 of 64 dense) + an open one
    CHECK(original->kv_closed_blocks(0) == 301 / original->kv_block_tokens());
    const Checkpoint saved = Save(*original);

    auto resumed = NewContext(policy);
    REQUIRE(resumed->RestoreKv(saved.live, FetchFrom(saved)).ok());
    // In place (as from a mapped file) gives the same state.
    auto in_place = NewContext(policy);
    REQUIRE(in_place->RestoreKv(saved.live, FetchInPlace(std::make_shared<Checkpoint>(saved))).ok());
    CHECK(resumed->n_past() == 301);
    CHECK(SameLogits(*original, *resumed));  // no prefill: the logits come with the state
    // Decode and a prefill chunk afterwards, crossing block boundaries.
    for (const auto& next : {Tokens(1, 2), Tokens(1, 3), Tokens(70, 4), Tokens(1, 5)}) {
      REQUIRE(original->Eval(next).ok());
      REQUIRE(resumed->Eval(next).ok());
      REQUIRE(in_place->Eval(next).ok());
      CHECK(SameLogits(*original, *resumed));
      CHECK(SameLogits(*original, *in_place));
    }
    // And the state itself: every block and the live state match.
    const Checkpoint a = Save(*original), b = Save(*resumed), c = Save(*in_place);
    CHECK(a.live == b.live);
    CHECK(a.blocks == b.blocks);
    CHECK(a.live == c.live);
    CHECK(a.blocks == c.blocks);
  }
}

TEST_CASE("Closed blocks never change, so a checkpoint writes each once", "[kv][checkpoint]") {
  for (const char* policy : kPolicies) {
    INFO(policy);
    auto ctx = NewContext(policy);
    REQUIRE(ctx->Eval(Tokens(200, 1)).ok());
    const Checkpoint first = Save(*ctx);
    REQUIRE(ctx->Eval(Tokens(150, 2)).ok());
    const Checkpoint second = Save(*ctx);
    CHECK(second.blocks.size() > first.blocks.size());
    for (const auto& [key, bytes] : first.blocks) CHECK(second.blocks.at(key) == bytes);
    // The live state stays small: O(sinks + window + open block), not O(n).
    CHECK(second.live.size() < 200 * 1024);

    // Rolling back into a closed block drops it (and the ones after).
    ctx->Truncate(100);
    CHECK(ctx->kv_closed_blocks(0) == 100 / ctx->kv_block_tokens());
    CHECK_FALSE(ctx->ExportKvBlock(0, ctx->kv_closed_blocks(0)).ok());
  }
}

TEST_CASE("Bad checkpoint bytes are clear errors and leave the context usable", "[kv][checkpoint][bad]") {
  const char* policy = kPolicies[1];
  auto original = NewContext(policy);
  REQUIRE(original->Eval(Tokens(150, 1)).ok());
  const Checkpoint saved = Save(*original);
  auto ctx = NewContext(policy);

  auto expect_failure = [&](std::string_view live, const engine::KvBlockFetcher& fetch, const char* message) {
    base::Status s = ctx->RestoreKv(live, fetch);
    INFO(s.ToString());
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.ToString(), Catch::Contains(message));
    CHECK(ctx->n_past() == 0);
    REQUIRE(ctx->Eval(Tokens(3, 9)).ok());  // still usable
    ctx->Truncate(0);
  };

  std::string flipped = saved.live;
  flipped[flipped.size() / 2] ^= 0x40;
  expect_failure(flipped, FetchFrom(saved), "checksum mismatch");
  expect_failure(std::string_view(saved.live).substr(0, saved.live.size() / 3), FetchFrom(saved), "checksum");
  expect_failure("", FetchFrom(saved), "Corruption");

  Checkpoint missing = saved;
  missing.blocks.erase({1, 2});
  expect_failure(saved.live, FetchFrom(missing), "no block");

  Checkpoint torn = saved;
  torn.blocks[{0, 1}].bytes.resize(torn.blocks[{0, 1}].bytes.size() - 5);
  expect_failure(saved.live, FetchFrom(torn), "layer 0, block 1");

  // A copied cold payload is checked as it is copied.
  Checkpoint bad_cold = saved;
  bad_cold.blocks[{1, 3}].bytes.back() ^= 0x10;
  expect_failure(saved.live, FetchFrom(bad_cold, &saved), "layer 1, block 3");

  Checkpoint swapped = saved;
  std::swap(swapped.blocks[{0, 1}], swapped.blocks[{0, 2}]);
  expect_failure(saved.live, FetchFrom(swapped), "does not match");

  // A different policy or model is refused before any block is read.
  auto other = NewContext("tiered:sink=4,window=64,unit=4,block=32,topk=8,rerank=0,dense_layers=0");
  base::Status s = other->RestoreKv(saved.live, FetchFrom(saved));
  CHECK(s.code() == base::StatusCode::kFailedPrecondition);
  CHECK_THAT(s.ToString(), Catch::Contains("topk=4") && Catch::Contains("topk=8"));
  auto dense = NewContext("dense");
  CHECK(dense->RestoreKv(saved.live, FetchFrom(saved)).code() == base::StatusCode::kFailedPrecondition);
  CHECK(dense->n_past() == 0);

  // And the good bytes still restore afterwards.
  REQUIRE(ctx->RestoreKv(saved.live, FetchFrom(saved)).ok());
  CHECK(SameLogits(*original, *ctx));
}

TEST_CASE("A corrupt cold payload read in place fails the Eval that reads it", "[kv][checkpoint][bad]") {
  // topk covers every unit, so every Eval reads every closed block's payload.
  const char* policy = "tiered:sink=4,window=32,unit=4,block=32,topk=64,rerank=0,dense_layers=0";
  auto original = NewContext(policy);
  REQUIRE(original->Eval(Tokens(150, 1)).ok());
  auto saved = std::make_shared<Checkpoint>(Save(*original));
  auto bad = std::make_shared<Checkpoint>(*saved);
  bad->blocks[{1, 2}].bytes.back() ^= 0x10;  // the last byte is cold

  auto ctx = NewContext(policy);
  // The resume reads only hot parts, so it succeeds...
  REQUIRE(ctx->RestoreKv(saved->live, FetchInPlace(bad, saved)).ok());
  CHECK(ctx->n_past() == 150);
  // ...and the first read of the bad payload fails, naming it; so does
  // every later Eval and an export of it, until the context is reset.
  base::Status s = ctx->Eval(Tokens(1, 2));
  INFO(s.ToString());
  CHECK(s.code() == base::StatusCode::kCorruption);
  CHECK_THAT(s.ToString(), Catch::Contains("layer 1, block 2") && Catch::Contains("CRC32C"));
  CHECK(ctx->Eval(Tokens(1, 3)).code() == base::StatusCode::kCorruption);
  CHECK(ctx->ExportKvBlock(0, 0).status().code() == base::StatusCode::kCorruption);
  ctx->Truncate(0);
  REQUIRE(ctx->Eval(Tokens(3, 9)).ok());

  // A recorded CRC that does not match good bytes is the same failure.
  auto wrong_crc = NewContext(policy);
  REQUIRE(wrong_crc->RestoreKv(saved->live, FetchInPlace(saved, bad)).ok());
  CHECK(wrong_crc->Eval(Tokens(1, 2)).code() == base::StatusCode::kCorruption);

  // Good bytes in place continue bit-identically.
  auto good = NewContext(policy);
  REQUIRE(good->RestoreKv(saved->live, FetchInPlace(saved)).ok());
  REQUIRE(original->Eval(Tokens(1, 2)).ok());
  REQUIRE(good->Eval(Tokens(1, 2)).ok());
  CHECK(SameLogits(*original, *good));
}
