// Prefill and decode of tiny-llama-spm with the tiered cache at a long
// length: wall time, tokens per second, KV bytes and peak RSS. The text is
// the TinyStories sample, repeated.
#include <sys/resource.h>

#include <chrono>

#include "engine/engine.h"
#include "engine/kv/bench/sections.h"
#include "engine/kv/factory.h"
#include "engine/kv/tiered/tiered_cache.h"
#include "engine/model/model.h"
#include "engine/model/transformer.h"

namespace engine::kv {
namespace {

int64_t PeakRssBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

base::Result<nlohmann::json> BenchPrefill(const BenchContext& ctx) {
  const std::string file = "tiny-llama-spm-f32.gguf";
  ASSIGN_OR_RETURN(Model model, Model::Load(ctx.options->testdata + "/models/" + file));
  const HParams& hp = model.loaded()->hparams();
  const int64_t n = ctx.options->prefill_tokens, n_decode = ctx.options->prefill_decode_tokens;
  const std::string text_path = ctx.options->testdata + "/text/tinystories_val_20k.txt";
  std::vector<int32_t> text;
  {
    // Repeating short text: a worst case for nothing in particular, but real token statistics.
    const std::vector<int32_t> ids = [&] {
      std::FILE* f = std::fopen(text_path.c_str(), "rb");
      std::string s;
      if (f) {
        char buf[4096];
        size_t got;
        while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, got);
        std::fclose(f);
      }
      return model.Tokenize(s, true, false);
    }();
    if (ids.empty()) return base::NotFound("cannot read " + text_path);
    text.reserve(static_cast<size_t>(n + n_decode));
    while (static_cast<int64_t>(text.size()) < n + n_decode) text.insert(text.end(), ids.begin() + 1, ids.end());
    text[0] = ids[0];
    text.resize(static_cast<size_t>(n + n_decode));
  }
  AttentionCacheConfig config{hp.n_layer, hp.n_head, hp.n_head_kv, hp.head_dim, n + n_decode, KvType::kF16};
  ASSIGN_OR_RETURN(std::unique_ptr<AttentionCache> cache, NewAttentionCache(config, ctx.policy, KvRopeFor(hp)));
  const TieredCache* tiered = dynamic_cast<const TieredCache*>(cache.get());
  Transformer tr(model.loaded(), std::move(cache), ctx.pool, TransformerOptions{256});
  Progress(ctx, "prefill: " + std::to_string(n) + " tokens of " + file);
  auto t0 = std::chrono::steady_clock::now();
  const int64_t step = 1 << 16;  // report progress every 64K tokens
  for (int64_t first = 0; first < n; first += step) {
    const int64_t m = std::min(step, n - first);
    RETURN_IF_ERROR(tr.Forward(std::span<const int32_t>(text.data() + first, static_cast<size_t>(m)), nullptr));
    Progress(ctx, "prefill: " + std::to_string(first + m) + " tokens, " + std::to_string(Seconds(t0)) + " s");
  }
  const double prefill_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n_decode; ++i) {
    RETURN_IF_ERROR(tr.Forward(std::span<const int32_t>(text.data() + n + i, 1), nullptr));
  }
  const double decode_s = Seconds(t0);
  nlohmann::json out{{"model", file},
                     {"policy", KvPolicyToString(ctx.policy)},
                     {"threads", ctx.pool->num_threads()},
                     {"prefill_tokens", n},
                     {"prefill_s", prefill_s},
                     {"prefill_tok_s", static_cast<double>(n) / prefill_s},
                     {"decode_tokens", n_decode},
                     {"decode_tok_s_at_depth", static_cast<double>(n_decode) / decode_s},
                     {"kv_bytes", tr.cache().memory_bytes()},
                     {"peak_rss_bytes", PeakRssBytes()},
                     {"llama_cpp_reference",
                      "dense cache, same model, 2 threads: 128K prefill 399-495 s; decode at 128K 8.7-15.4 tok/s"}};
  if (tiered) {
    const CacheBytes b = tiered->bytes();
    out["kv_hot_bytes"] = b.hot();
    out["kv_cold_bytes"] = b.cold;
    out["far_distance_cap"] = tiered->far_distance_cap();
  }
  return out;
}

}  // namespace engine::kv
