// Bytes per token of the tiered cache against a dense fp16 cache.
//
// The projection mirrors LayerStore's allocation (ring = window + 256
// slots, sinks fp16 K/V + f32 pre-RoPE K, f32 staging of one block, the
// index, summaries, closed cold blocks) and is checked against a real
// cache filled with synthetic keys.
#include <algorithm>
#include <cmath>

#include "engine/kv/bench/sections.h"
#include "engine/kv/bench/synth.h"
#include "engine/kv/tiered/tiered_cache.h"

namespace engine::kv {
namespace {

struct BenchGeometry {
  const char* name;
  int n_layer, n_head, n_head_kv, head_dim;
  int64_t n_ctx_train;
};

// testdata/README.md section 4.1, plus a Llama-3-8B-shaped model for d = 128.
constexpr BenchGeometry kGeometries[] = {
    {"stories260K", 5, 8, 4, 8, 2048},     {"tiny-llama-spm", 2, 8, 4, 32, 4096},
    {"tiny-llama-bpe", 2, 8, 4, 32, 4096}, {"tiny-qwen2", 2, 8, 4, 32, 4096},
    {"tiny-qwen3", 2, 8, 4, 64, 4096},     {"head_dim_128 (32 layers, 32/8 heads)", 32, 32, 8, 128, 0},
};

constexpr int64_t kRingSlack = 256;  // LayerStore's minimum ring slack

CacheBytes Project(const KvPolicy& policy, const BenchGeometry& g, int64_t n) {
  CacheBytes b;
  const int64_t trained = policy.trained_ctx > 0 ? policy.trained_ctx : g.n_ctx_train;
  const int64_t cap = policy.far_distance_cap > 0 ? policy.far_distance_cap
                      : (policy.far_distance_cap == 0 && trained > 0 ? trained * 3 / 4 : 0);
  const size_t d = static_cast<size_t>(g.head_dim);
  for (int l = 0; l < g.n_layer; ++l) {
    TieredParams p = policy.ForLayer(l);
    if (cap > 0 && p.window > cap) p.window = static_cast<int>(cap);
    const int64_t ring = std::min<int64_t>(n, p.window + kRingSlack);
    const int64_t sinks = std::min<int64_t>(n, p.n_sink);
    const int64_t blocks = n / p.block;
    const size_t heads = static_cast<size_t>(g.n_head_kv);
    b.exact += heads * (static_cast<size_t>(sinks) * d * 8 + static_cast<size_t>(ring) * d * 4);
    b.staging += heads * static_cast<size_t>(3 * p.block) * d * 4;
    b.index += heads * static_cast<size_t>(blocks * (p.block / p.unit)) *
               (static_cast<size_t>(EnvBytes(g.head_dim, p.index_bits)) + sizeof(UnitMeta));
    if (p.summary > 0) b.summary += heads * static_cast<size_t>(blocks) * d * 4;
    b.cold += heads * static_cast<size_t>(blocks) * ColdLayout::For(p.block, g.head_dim, p.bits).head_bytes();
  }
  return b;
}

double DenseBytes(const BenchGeometry& g, int64_t n) {
  return 4.0 * static_cast<double>(n) * g.n_layer * g.n_head_kv * g.head_dim;  // fp16 K and V
}

nlohmann::json Entry(const CacheBytes& b, double dense, int64_t n) {
  nlohmann::json e;
  e["tokens"] = n;
  e["dense_fp16_bytes_per_token"] = dense / static_cast<double>(n);
  e["stored_bytes_per_token"] = static_cast<double>(b.stored()) / static_cast<double>(n);
  e["hot_bytes_per_token"] = static_cast<double>(b.hot()) / static_cast<double>(n);
  e["stored_ratio"] = static_cast<double>(b.stored()) / dense;
  e["hot_ratio"] = static_cast<double>(b.hot()) / dense;
  e["hot_parts_ratio"] = {{"exact", b.exact / dense},
                          {"index", b.index / dense},
                          {"summary", b.summary / dense},
                          {"staging", b.staging / dense}};
  e["cold_ratio"] = static_cast<double>(b.cold) / dense;
  return e;
}

// Fills a real cache of geometry g with n synthetic tokens (chunks of 256,
// so the ring holds window + 256 slots as projected).
base::Result<CacheBytes> Measure(const BenchContext& ctx, const BenchGeometry& g, int64_t n) {
  AttentionCacheConfig config{g.n_layer, g.n_head, g.n_head_kv, g.head_dim, n, KvType::kF16};
  SynthSpec spec;
  spec.head_dim = g.head_dim;
  spec.n_head_kv = g.n_head_kv;
  SynthStream synth(spec);
  KvRope rope = synth.rope();
  rope.n_ctx_train = g.n_ctx_train;
  ASSIGN_OR_RETURN(std::unique_ptr<TieredCache> cache, TieredCache::Create(config, ctx.policy, rope));
  const int64_t chunk = kRingSlack;
  const size_t row = static_cast<size_t>(g.n_head_kv) * g.head_dim;
  std::vector<float> k_pre(chunk * row), k(chunk * row), v(chunk * row);
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t m = std::min(chunk, n - first);
    synth.Generate(first, m, k_pre.data(), k.data(), v.data());
    for (int l = 0; l < g.n_layer; ++l) {
      KvChunk c{l, first, m, k.data(), v.data(), k_pre.data()};
      RETURN_IF_ERROR(cache->Store(c));
    }
  }
  return cache->bytes();
}

}  // namespace

base::Result<nlohmann::json> BenchBytes(const BenchContext& ctx) {
  nlohmann::json out;
  out["policy"] = KvPolicyToString(ctx.policy);
  out["note"] = "projected from the storage layout; 'measured_check' fills a real cache and compares";
  nlohmann::json geos = nlohmann::json::array();
  for (const BenchGeometry& g : kGeometries) {
    nlohmann::json gj;
    gj["geometry"] = g.name;
    gj["n_layer"] = g.n_layer;
    gj["n_head_kv"] = g.n_head_kv;
    gj["head_dim"] = g.head_dim;
    nlohmann::json lengths = nlohmann::json::array();
    for (int64_t n : ctx.options->byte_lengths) lengths.push_back(Entry(Project(ctx.policy, g, n), DenseBytes(g, n), n));
    gj["lengths"] = lengths;
    geos.push_back(gj);
  }
  out["geometries"] = geos;
  // The projection against a real fill, at 32K tokens, for two geometries.
  nlohmann::json checks = nlohmann::json::array();
  for (int gi : {0, 1}) {
    const BenchGeometry& g = kGeometries[gi];
    const int64_t n = 32768;
    Progress(ctx, std::string("bytes: filling ") + g.name + " with 32768 tokens");
    ASSIGN_OR_RETURN(CacheBytes measured, Measure(ctx, g, n));
    const CacheBytes projected = Project(ctx.policy, g, n);
    checks.push_back({{"geometry", g.name},
                      {"tokens", n},
                      {"measured_stored_bytes", measured.stored()},
                      {"projected_stored_bytes", projected.stored()},
                      {"measured_hot_bytes", measured.hot()},
                      {"projected_hot_bytes", projected.hot()}});
  }
  out["measured_check"] = checks;
  return out;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

void Progress(const BenchContext& ctx, const std::string& line) {
  if (ctx.log) *ctx.log << "bench kv: " << line << std::endl;
}

}  // namespace engine::kv
