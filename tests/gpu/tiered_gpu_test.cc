// [gpu] The tiered KV cache's device tiers (engine/cuda/device_tiered_kv.cc)
// against the CPU kv::TieredCache fed the same rows: the same selection
// and the same softmax, within float rounding, for decode and prefill
// chunks, with and without the re-rank, with summaries, with far-position
// capping, after a Truncate and after a checkpoint Restore; and the host
// cache the device tiers keep is byte-identical to a CPU-only one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/hash.h"
#include "base/thread_pool.h"
#include "engine/cuda/device_kv.h"
#include "engine/kv/factory.h"
#include "engine/kv/tiered/tiered_cache.h"
#include "tests/engine/kv/kv_testing.h"
#include "tests/gpu/gpu_testing.h"

namespace {

using engine::AttentionCache;

kvtest::Geometry TestGeometry() {
  kvtest::Geometry g;
  g.n_layer = 2;
  g.n_head = 4;
  g.n_head_kv = 2;
  g.head_dim = 32;
  g.capacity = 1024;
  return g;
}

std::unique_ptr<AttentionCache> HostCache(const kvtest::Geometry& g, const std::string& spec) {
  auto policy = engine::ParseKvPolicy(spec);
  REQUIRE(policy.ok());
  auto cache = engine::kv::TieredCache::Create(kvtest::ConfigFor(g), *policy, g.rope);
  REQUIRE(cache.ok());
  return std::move(*cache);
}

// A CPU cache and a device cache fed the same sequences, compared on
// every attention they answer.
struct Pair {
  kvtest::Geometry g;
  std::vector<kvtest::Sequence> seq;  // [layer]
  std::unique_ptr<AttentionCache> cpu, dev;
  base::ThreadPool pool{2};
  double worst = 0.0;

  Pair(kernels::Gpu* gpu, const std::string& spec, int64_t n, float outliers = 4.0f) : g(TestGeometry()) {
    for (int l = 0; l < g.n_layer; ++l) seq.push_back(kvtest::RandomSequence(g, n, 100 + l, outliers));
    cpu = HostCache(g, spec);
    auto d = engine::cuda::NewDeviceAttentionCache(gpu, HostCache(g, spec));
    REQUIRE(d.ok());
    dev = std::move(*d);
  }

  // Stores and attends [first, first + n) layer by layer, as the forward
  // pass does, and compares the outputs.
  void Step(int64_t first, int64_t n) {
    for (int l = 0; l < g.n_layer; ++l) {
      const auto& s = seq[static_cast<size_t>(l)];
      REQUIRE(cpu->Store(kvtest::ChunkOf(g, s, l, first, n)).ok());
      REQUIRE(dev->Store(kvtest::ChunkOf(g, s, l, first, n)).ok());
      const size_t out_n = static_cast<size_t>(n) * g.n_head * g.head_dim;
      std::vector<float> want(out_n), got(out_n);
      cpu->Attend(kvtest::BatchOf(g, s, l, first, n, want.data()), &pool);
      dev->Attend(kvtest::BatchOf(g, s, l, first, n, got.data()), &pool);
      REQUIRE(dev->fault().ok());
      const double err = kvtest::RelMaxError(got, want);
      worst = std::max(worst, err);
      INFO("layer " << l << " positions " << first << ".." << first + n - 1);
      REQUIRE(err < 2e-3);
    }
  }

  // Prefill in chunks of `chunk`, then decode to `end`.
  void Run(int64_t from, int64_t prefill_end, int64_t chunk, int64_t end) {
    for (int64_t p = from; p < prefill_end; p += chunk) Step(p, std::min(chunk, prefill_end - p));
    for (int64_t p = std::max(from, prefill_end); p < end; ++p) Step(p, 1);
  }

  void Truncate(int64_t n) {
    cpu->Truncate(n);
    dev->Truncate(n);
    REQUIRE(dev->fault().ok());
  }
};

// The host cache a device cache keeps, against a CPU-only cache.
void RequireSameHost(const AttentionCache& a, const AttentionCache& b) {
  std::string la, lb;
  a.ExportLive(&la);
  b.ExportLive(&lb);
  REQUIRE(la == lb);
  for (int l = 0; l < a.config().n_layer; ++l) {
    REQUIRE(a.n_closed_blocks(l) == b.n_closed_blocks(l));
    for (int64_t i = 0; i < a.n_closed_blocks(l); ++i) {
      engine::KvBlock x, y;
      a.ExportBlock(l, i, &x);
      b.ExportBlock(l, i, &y);
      REQUIRE(x == y);
    }
  }
}

const char* kBase = "tiered:sink=4,window=64,unit=4,block=32,topk=8,dense_layers=0";

}  // namespace

TEST_CASE("tiered gpu: decode and prefill match the CPU cache", "[gpu][kv]") {
  LH_REQUIRE_GPU(gpu);
  for (const char* extra : {",rerank=0", ",rerank=4", ",rerank=4,summary=32", ",bits=16,index_bits=8",
                            ",rerank=2,summary=32,prefill_scale=1"}) {
    const std::string spec = std::string(kBase) + extra;
    INFO(spec);
    Pair p(gpu.get(), spec, 600);
    p.Run(0, 480, 33, 600);  // chunks of 33 = window - block + 1, the largest allowed
    WARN(spec << ": worst relative error " << p.worst);
    RequireSameHost(*p.dev, *p.cpu);
  }
}

TEST_CASE("tiered gpu: far-position capping matches the CPU cache", "[gpu][kv]") {
  LH_REQUIRE_GPU(gpu);
  const std::string spec = std::string(kBase) + ",far_cap=96,summary=32";
  Pair p(gpu.get(), spec, 500);
  p.Run(0, 300, 32, 500);
  RequireSameHost(*p.dev, *p.cpu);
}

TEST_CASE("tiered gpu: a chunk too large for the mirrored blocks is refused", "[gpu][kv]") {
  LH_REQUIRE_GPU(gpu);
  Pair p(gpu.get(), kBase, 200);
  const auto& s = p.seq[0];
  CHECK_FALSE(p.dev->Store(kvtest::ChunkOf(p.g, s, 0, 0, 34)).ok());
}

TEST_CASE("tiered gpu: truncate and restore reload the device tiers", "[gpu][kv]") {
  LH_REQUIRE_GPU(gpu);
  const std::string spec = std::string(kBase) + ",rerank=4,summary=32";
  Pair p(gpu.get(), spec, 700);
  p.Run(0, 400, 32, 450);
  p.Truncate(430);  // within the ring's slack
  p.Run(430, 430, 1, 470);
  p.Truncate(333);  // reopens a closed block, refills the window from cold
  p.Run(333, 333, 1, 380);
  RequireSameHost(*p.dev, *p.cpu);

  // Checkpoint the CPU cache, restore it into a fresh pair, go on.
  std::string live;
  p.cpu->ExportLive(&live);
  std::map<std::pair<int, int64_t>, engine::KvBlock> blocks;
  for (int l = 0; l < p.g.n_layer; ++l) {
    for (int64_t i = 0; i < p.cpu->n_closed_blocks(l); ++i) p.cpu->ExportBlock(l, i, &blocks[{l, i}]);
  }
  auto fetch = engine::FetchEach([&](int layer, int64_t index) -> base::Result<engine::KvBlockView> {
    const engine::KvBlock& b = blocks.at({layer, index});
    return engine::KvBlockView{b.hot(), b.cold(), base::Crc32c(b.cold().data(), b.cold().size()), nullptr,
                               std::nullopt};
  });
  Pair q(gpu.get(), spec, 700);
  q.seq = p.seq;
  REQUIRE(q.cpu->Restore(live, fetch).ok());
  REQUIRE(q.dev->Restore(live, fetch).ok());
  REQUIRE(q.dev->fault().ok());
  q.Run(380, 380, 1, 420);
  q.Run(420, 452, 32, 452);
  RequireSameHost(*q.dev, *q.cpu);
}
