// The tiered cache against exact attention: equality where the design
// promises it, retrieval where selection decides, state equivalence of
// prefill and token-by-token decode, rollback, far-position capping.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "base/thread_pool.h"
#include "engine/kv/factory.h"
#include "engine/kv/tiered/block_format.h"
#include "engine/kv/tiered/tiered_cache.h"
#include "tests/engine/kv/kv_testing.h"

using kvtest::Geometry;
using kvtest::Sequence;

namespace {

std::unique_ptr<engine::kv::TieredCache> MakeTiered(const Geometry& g, const std::string& spec) {
  auto policy = engine::ParseKvPolicy(spec);
  REQUIRE(policy.ok());
  auto cache = engine::kv::TieredCache::Create(kvtest::ConfigFor(g), *policy, g.rope);
  REQUIRE(cache.ok());
  return std::move(*cache);
}

// Stores [first, first + n) in every layer and attends it; returns layer
// n_layer - 1's output.
std::vector<float> StoreAttend(engine::AttentionCache* cache, const Geometry& g, const Sequence& s, int64_t first,
                               int64_t n, base::ThreadPool* pool) {
  std::vector<float> out(static_cast<size_t>(n) * g.n_head * g.head_dim);
  for (int l = 0; l < g.n_layer; ++l) {
    REQUIRE(cache->Store(kvtest::ChunkOf(g, s, l, first, n)).ok());
    cache->Attend(kvtest::BatchOf(g, s, l, first, n, out.data()), pool);
  }
  return out;
}

// Token-by-token outputs for positions [0, n).
std::vector<float> DecodeAll(engine::AttentionCache* cache, const Geometry& g, const Sequence& s, int64_t n,
                             base::ThreadPool* pool) {
  std::vector<float> all;
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> o = StoreAttend(cache, g, s, t, 1, pool);
    all.insert(all.end(), o.begin(), o.end());
  }
  return all;
}

}  // namespace

TEST_CASE("Tiered equals dense when the context fits the exact budget", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  g.n_layer = 2;
  const int64_t T = 68;  // n_sink + window
  const Sequence s = kvtest::RandomSequence(g, T, 1, 4.0f);
  auto cache = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=64,topk=1");
  std::vector<float> got;
  for (int64_t first = 0; first < T; first += 17) {  // chunks of 17
    std::vector<float> o = StoreAttend(cache.get(), g, s, first, std::min<int64_t>(17, T - first), &pool);
    got.insert(got.end(), o.begin(), o.end());
  }
  CHECK(cache->n_positions() == T);
  CHECK(cache->last_stats().selected_units == 0);
  // The cache stores fp16: compare with exact attention on fp16-rounded K/V.
  const auto want = kvtest::ExactAttention(g, s.q, kvtest::RoundF16(s.k_post), kvtest::RoundF16(s.v), 0, T);
  CHECK(kvtest::RelMaxError(got, want) < 1e-4);
  // And against full precision the fp16 rounding is all that differs.
  CHECK(kvtest::RelMaxError(got, kvtest::ExactAttention(g, s.q, s.k_post, s.v, 0, T)) < 3e-3);
}

TEST_CASE("Tiered equals dense when top-k covers every unit (fp16 cold store)", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  const int64_t T = 300;
  const Sequence s = kvtest::RandomSequence(g, T, 2, 4.0f);
  auto cache = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=64,topk=64,bits=16");
  const std::vector<float> got = DecodeAll(cache.get(), g, s, T, &pool);
  CHECK(cache->last_stats().selected_units == cache->last_stats().candidate_units);
  CHECK(cache->last_stats().exact_rows == T);
  const auto want = kvtest::ExactAttention(g, s.q, s.k_post, s.v, 0, T);
  // fp16 rounding of pre-RoPE keys, then float re-rotation.
  CHECK(kvtest::RelMaxError(got, want) < 3e-3);

  // The 4-bit cold store with the same selection: bounded, and visibly lossy.
  auto int4 = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=64,topk=64,bits=4");
  const std::vector<float> got4 = DecodeAll(int4.get(), g, s, T, &pool);
  const double err4 = kvtest::RelMaxError(got4, want);
  CHECK(err4 < 0.15);
  // Past position 100 most rows come from the cold store.
  const size_t late = static_cast<size_t>(100) * g.n_head * g.head_dim;
  const std::vector<float> want_late(want.begin() + late, want.end());
  CHECK(kvtest::RelMaxError({got4.begin() + late, got4.end()}, want_late) >
        3 * kvtest::RelMaxError({got.begin() + late, got.end()}, want_late));
}

TEST_CASE("Selection retrieves a needle far outside the window", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  g.n_head = 2;
  g.n_head_kv = 1;
  g.capacity = 4096;
  const int64_t T = 4096, needle = 1234;
  Sequence s = kvtest::RandomSequence(g, T, 3, 1.0f);
  const int d = g.head_dim;
  // The needle's key (with outlier channels) is what head 1 looks for: its
  // post-RoPE query is 12x the needle's post-RoPE key. Its value is distinctive.
  std::vector<float> q_pre(s.q.size(), 0.0f);
  for (int c = 0; c < d; ++c) {
    s.k_pre[needle * d + c] = 2.0f * (c % 3 == 1 ? 3.0f : 1.0f) * std::sin(0.7f * c + 1.0f);
    s.v[needle * d + c] = 5.0f;
  }
  kvtest::RotateSequence(g, &s, q_pre);
  for (int64_t t = 0; t < T; ++t) {
    for (int c = 0; c < d; ++c) s.q[(t * g.n_head + 1) * d + c] = 12.0f * s.k_post[needle * d + c];
  }
  const auto want = kvtest::ExactAttention(g, s.q, s.k_post, s.v, T - 1, 1);
  CHECK(want[d] > 3.0f);  // head 1 puts most of its mass on the needle
  for (const char* spec : {"tiered:dense_layers=0,sink=16,window=256,topk=8",
                           "tiered:dense_layers=0,sink=16,window=256,topk=8,index_bits=8,unit=8",
                           "tiered:dense_layers=0,sink=16,window=256,topk=8,rerank=0"}) {
    INFO(spec);
    auto cache = MakeTiered(g, spec);
    StoreAttend(cache.get(), g, s, 0, T - 1, &pool);  // prefill in one chunk
    const std::vector<float> got = StoreAttend(cache.get(), g, s, T - 1, 1, &pool);
    CHECK(cache->last_stats().candidate_units > 8 * 4);  // the shortlist is a real subset
    CHECK(cache->last_stats().selected_units == 8);
    const auto sel = cache->selected_positions(0);
    CHECK(std::find(sel.begin(), sel.end(), needle) != sel.end());
    // int4 V keeps the output close.
    for (int c = 0; c < d; ++c) CHECK(got[d + c] == Approx(want[d + c]).margin(0.15));
  }
}

TEST_CASE("Prefill then decode gives the same state as token-by-token decode", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  g.n_layer = 2;
  const int64_t T = 333, extra = 8;
  const Sequence s = kvtest::RandomSequence(g, T + extra, 4, 2.0f);
  const std::string spec = "tiered:dense_layers=0,sink=4,window=64,topk=3,summary=32";
  auto chunked = MakeTiered(g, spec);
  auto single = MakeTiered(g, spec);
  for (int64_t first = 0; first < T; first += 50) {
    StoreAttend(chunked.get(), g, s, first, std::min<int64_t>(50, T - first), &pool);
  }
  DecodeAll(single.get(), g, s, T, &pool);
  // Same stored bytes: the same closed blocks, index and live state.
  CHECK(chunked->bytes().cold == single->bytes().cold);
  CHECK(chunked->bytes().index == single->bytes().index);
  for (int l = 0; l < g.n_layer; ++l) {
    const auto& a = chunked->layer(l);
    const auto& b = single->layer(l);
    REQUIRE(a.n_closed_blocks() == b.n_closed_blocks());
    for (int64_t blk = 0; blk < a.n_closed_blocks(); ++blk) {
      REQUIRE(std::equal(a.cold_block(blk), a.cold_block(blk) + a.block_payload_bytes(), b.cold_block(blk)));
    }
  }
  // And the same decode outputs afterwards.
  for (int64_t t = T; t < T + extra; ++t) {
    const auto oa = StoreAttend(chunked.get(), g, s, t, 1, &pool);
    const auto ob = StoreAttend(single.get(), g, s, t, 1, &pool);
    REQUIRE(kvtest::RelMaxError(oa, ob) < 1e-6);
  }
}

TEST_CASE("Chunked prefill output equals token-by-token where attention is exact", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  const int64_t T = 200;
  const Sequence s = kvtest::RandomSequence(g, T, 5, 2.0f);
  const std::string spec = "tiered:dense_layers=0,sink=4,window=64,topk=64,bits=16";
  auto chunked = MakeTiered(g, spec);
  auto single = MakeTiered(g, spec);
  std::vector<float> a;
  for (int64_t first = 0; first < T; first += 64) {
    auto o = StoreAttend(chunked.get(), g, s, first, std::min<int64_t>(64, T - first), &pool);
    a.insert(a.end(), o.begin(), o.end());
  }
  const auto b = DecodeAll(single.get(), g, s, T, &pool);
  CHECK(kvtest::RelMaxError(a, b) < 1e-5);
}

TEST_CASE("Summary rows are exact for blocks of identical keys and values", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  g.rope.freq_scale = 0.0f;  // no rotation: pre- and post-RoPE keys coincide
  const int64_t T = 320;
  Sequence s = kvtest::RandomSequence(g, T, 6, 1.0f);
  const int d = g.head_dim, row = g.n_head_kv * d;
  // Every 32-token block holds one key (post-RoPE) and one value, so the
  // block mean is exact and ln(count) + q.k_mean is each block's log-mass.
  for (int64_t t = 0; t < T; ++t) {
    const int64_t b0 = t / 32 * 32;
    for (int i = 0; i < row; ++i) {
      s.k_post[t * row + i] = 0.5f * s.k_pre[b0 * row + i];
      s.v[t * row + i] = s.v[b0 * row + i];
    }
  }
  s.k_pre = s.k_post;
  auto with = MakeTiered(g, "tiered:dense_layers=0,sink=32,window=64,topk=1,summary=32,bits=16,far_cap=-1");
  auto without = MakeTiered(g, "tiered:dense_layers=0,sink=32,window=64,topk=1,bits=16,far_cap=-1");
  const auto want = kvtest::ExactAttention(g, s.q, s.k_post, s.v, T - 1, 1);
  StoreAttend(with.get(), g, s, 0, T - 1, &pool);
  StoreAttend(without.get(), g, s, 0, T - 1, &pool);
  const auto a = StoreAttend(with.get(), g, s, T - 1, 1, &pool);
  const auto b = StoreAttend(without.get(), g, s, T - 1, 1, &pool);
  CHECK(with->last_stats().summary_rows > 0);
  const double err_with = kvtest::RelMaxError(a, want), err_without = kvtest::RelMaxError(b, want);
  CHECK(err_with < 5e-3);
  CHECK(err_without > 10 * err_with);
}

TEST_CASE("Truncate rolls back: re-appending reproduces the outputs", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  const int64_t T = 400;
  const Sequence s = kvtest::RandomSequence(g, T, 7, 2.0f);
  // k covers every unit, so the selection cannot flip between runs.
  const std::string spec = "tiered:dense_layers=0,sink=4,window=64,topk=128";
  auto ref = MakeTiered(g, spec);
  StoreAttend(ref.get(), g, s, 0, T - 1, &pool);
  const auto want = StoreAttend(ref.get(), g, s, T - 1, 1, &pool);

  // 1: nothing closed is reopened; 45: block 11 is restaged from the fp16
  // ring; 330: the ring (64 + 256 slots) no longer holds the window, which
  // is refilled from the 4-bit cold store.
  for (int64_t back : {int64_t{1}, int64_t{45}, int64_t{330}}) {
    INFO("rollback to " << T - back);
    auto cache = MakeTiered(g, spec);
    for (int64_t first = 0; first < T; first += 50) StoreAttend(cache.get(), g, s, first, 50, &pool);
    CHECK(cache->layer(0).ring_lo() == T - cache->layer(0).ring_capacity());
    cache->Truncate(T - back);
    CHECK(cache->n_positions() == T - back);
    StoreAttend(cache.get(), g, s, T - back, back - 1, &pool);
    const auto got = StoreAttend(cache.get(), g, s, T - 1, 1, &pool);
    // Shallow rollbacks restage from the fp16 ring; deep ones from 4-bit.
    CHECK(kvtest::RelMaxError(got, want) < (back < 100 ? 2e-3 : 0.1));
  }
  auto cache = MakeTiered(g, spec);
  StoreAttend(cache.get(), g, s, 0, 100, &pool);
  cache->Truncate(0);
  CHECK(cache->n_positions() == 0);
  CHECK(cache->bytes().cold == 0);
}

TEST_CASE("Store rejects gaps, missing pre-RoPE keys and overflow", "[kv][tiered]") {
  Geometry g;
  g.capacity = 64;
  const Sequence s = kvtest::RandomSequence(g, 64, 8);
  auto cache = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=32");
  CHECK(cache->Store(kvtest::ChunkOf(g, s, 0, 5, 1)).code() == base::StatusCode::kFailedPrecondition);
  engine::KvChunk c = kvtest::ChunkOf(g, s, 0, 0, 4);
  c.k_pre_rope = nullptr;
  CHECK(cache->Store(c).code() == base::StatusCode::kInvalidArgument);
  CHECK(cache->Store(kvtest::ChunkOf(g, s, 3, 0, 1)).code() == base::StatusCode::kInvalidArgument);
  REQUIRE(cache->Store(kvtest::ChunkOf(g, s, 0, 0, 64)).ok());
  c = kvtest::ChunkOf(g, s, 0, 63, 1);
  c.first_pos = 64;
  CHECK(cache->Store(c).code() == base::StatusCode::kOutOfRange);
  // Attending positions that were never stored answers zeros, not garbage.
  base::ThreadPool pool(1);
  auto fresh = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=32");
  std::vector<float> out(static_cast<size_t>(g.n_head) * g.head_dim, 7.0f);
  fresh->Attend(kvtest::BatchOf(g, s, 0, 0, 1, out.data()), &pool);
  for (float x : out) CHECK(x == 0.0f);
}

TEST_CASE("Past the far-distance cap, far rows are re-rotated at the capped position", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  g.rope.n_ctx_train = 256;  // cap = 3/4 * 256 = 192
  const int64_t T = 600;
  const Sequence s = kvtest::RandomSequence(g, T, 9, 2.0f);
  auto cache = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=64,topk=200,bits=16");
  CHECK(cache->far_distance_cap() == 192);
  StoreAttend(cache.get(), g, s, 0, T - 1, &pool);
  const auto got = StoreAttend(cache.get(), g, s, T - 1, 1, &pool);
  CHECK(cache->last_stats().capped);
  // Reference: keys older than anchor = (T-1) - 192 sit at the anchor.
  const int64_t anchor = T - 1 - 192;
  const int d = g.head_dim;
  std::vector<float> k = s.k_pre;
  for (int64_t t = 0; t < T; ++t) {
    for (int h = 0; h < g.n_head_kv; ++h) {
      kvtest::RotateExact(g.rope, d, static_cast<double>(std::max(t, anchor)), &k[(t * g.n_head_kv + h) * d]);
    }
  }
  const auto want = kvtest::ExactAttention(g, s.q, k, s.v, T - 1, 1);
  CHECK(kvtest::RelMaxError(got, want) < 3e-3);
  // Without capping the same cache would attend true distances: different.
  const auto uncapped = kvtest::ExactAttention(g, s.q, s.k_post, s.v, T - 1, 1);
  CHECK(kvtest::RelMaxError(uncapped, want) > 1e-2);
}

TEST_CASE("Layers below dense_layers stay exact up to dense_window", "[kv][tiered]") {
  base::ThreadPool pool(2);
  Geometry g;
  g.n_layer = 3;
  const int64_t T = 260;
  const Sequence s = kvtest::RandomSequence(g, T, 10, 2.0f);
  auto cache = MakeTiered(g, "tiered:sink=4,window=64,topk=1,dense_layers=2,dense_window=256");
  CHECK(cache->layer(1).geometry().params.window == 256);
  CHECK(cache->layer(2).geometry().params.window == 64);
  std::vector<std::vector<float>> out(3, std::vector<float>(static_cast<size_t>(g.n_head) * g.head_dim));
  for (int l = 0; l < g.n_layer; ++l) REQUIRE(cache->Store(kvtest::ChunkOf(g, s, l, 0, T - 1)).ok());
  for (int l = 0; l < g.n_layer; ++l) {
    REQUIRE(cache->Store(kvtest::ChunkOf(g, s, l, T - 1, 1)).ok());
    cache->Attend(kvtest::BatchOf(g, s, l, T - 1, 1, out[static_cast<size_t>(l)].data()), &pool);
  }
  const auto want = kvtest::ExactAttention(g, s.q, kvtest::RoundF16(s.k_post), kvtest::RoundF16(s.v), T - 1, 1);
  // 260 positions = 4 sinks + 256 window: layers 0 and 1 are exact.
  CHECK(kvtest::RelMaxError(out[0], want) < 1e-4);
  CHECK(kvtest::RelMaxError(out[1], want) < 1e-4);
  // Layer 2 attends 4 + 64 + 8 of them.
  CHECK(kvtest::RelMaxError(out[2], want) > 1e-2);
}

TEST_CASE("Closed blocks export as self-contained, validated byte blocks", "[kv][tiered]") {
  base::ThreadPool pool(1);
  Geometry g;
  g.n_layer = 2;
  const int64_t T = 100;  // 3 closed blocks of 32, 4 positions staged
  const Sequence s = kvtest::RandomSequence(g, T, 11, 2.0f);
  auto cache = MakeTiered(g, "tiered:dense_layers=0,sink=4,window=32,summary=32");
  StoreAttend(cache.get(), g, s, 0, T, &pool);
  const auto& L = cache->layer(1);
  REQUIRE(L.n_closed_blocks() == 3);
  engine::KvBlock block;
  auto hot_of = [](const engine::KvBlock& k) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(k.bytes.data()), k.hot_bytes);
  };
  for (int64_t b = 0; b < L.n_closed_blocks(); ++b) {
    engine::kv::ExportClosedBlock(L, b, &block);
    CHECK(block.hot_bytes == engine::kv::ClosedBlockHotBytes(L));
    CHECK(block.bytes.size() == block.hot_bytes + engine::kv::ClosedBlockColdBytes(L));
    auto h = engine::kv::ParseClosedBlock(hot_of(block), block.cold().size());
    REQUIRE(h.ok());
    CHECK(h->layer == 1);
    CHECK(h->first_pos == 32 * b);
    CHECK(h->tokens == 32);
    CHECK(h->unit == 4);
    CHECK(h->n_head_kv == 2);
    CHECK(h->has_summary);
    // The cold part is the cold store's bytes, unchanged.
    CHECK(std::equal(L.cold_block(b), L.cold_block(b) + L.block_payload_bytes(),
                     reinterpret_cast<const uint8_t*>(block.cold().data())));
  }
  // Later positions never rewrite a closed block.
  const engine::KvBlock before = block;
  const Sequence more = kvtest::RandomSequence(g, T + 40, 11, 2.0f);
  StoreAttend(cache.get(), g, more, T, 40, &pool);
  engine::kv::ExportClosedBlock(L, 2, &block);
  CHECK(block.bytes == before.bytes);
  CHECK(block.hot_bytes == before.hot_bytes);
  // Damage is detected, not trusted.
  const size_t cold = before.cold().size();
  engine::KvBlock bad = before;
  bad.bytes[0] ^= 1;
  CHECK(engine::kv::ParseClosedBlock(hot_of(bad), cold).status().code() == base::StatusCode::kCorruption);
  bad = before;
  CHECK(engine::kv::ParseClosedBlock(hot_of(bad).first(bad.hot_bytes - 1), cold).status().code() ==
        base::StatusCode::kCorruption);
  CHECK(engine::kv::ParseClosedBlock(hot_of(bad), cold - 1).status().code() == base::StatusCode::kCorruption);
  bad.bytes[30] = 5;  // bits
  CHECK(engine::kv::ParseClosedBlock(hot_of(bad), cold).status().code() == base::StatusCode::kCorruption);
  CHECK(engine::kv::ParseClosedBlock(hot_of(before).first(10), cold).status().code() ==
        base::StatusCode::kCorruption);
}
