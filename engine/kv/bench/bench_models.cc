// Model-level measurements on the testdata models over real text:
//   operator fidelity  replays each layer's recorded Q/K/V through a tiered
//                      cache token by token against exact attention
//   stories260K        KL and same-top-token of the logits, tiered vs the
//                      dense f32 cache, at T = 512 (its training length),
//                      with the ablations; T = 2048 as informative only
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/engine.h"
#include "engine/kv/bench/recorder.h"
#include "engine/kv/bench/sections.h"
#include "engine/kv/tiered/tiered_cache.h"
#include "engine/model/model.h"
#include "engine/model/transformer.h"

namespace engine::kv {
namespace {

// The stories260K setting; layers 0 and 1 dense (dense_window >= T).
constexpr const char* kSmallSetting = "tiered:sink=4,window=64,unit=8,block=32,topk=4,summary=32";

base::Result<std::vector<int32_t>> TextTokens(const Model& model, const std::string& testdata, int64_t n) {
  std::ifstream in(testdata + "/text/tinystories_val_20k.txt", std::ios::binary);
  if (!in) return base::NotFound("cannot read " + testdata + "/text/tinystories_val_20k.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<int32_t> ids = model.Tokenize(ss.str(), /*add_special=*/true, /*parse_special=*/false);
  if (ids.empty()) return base::Internal("text tokenized to nothing");
  std::vector<int32_t> out;
  while (static_cast<int64_t>(out.size()) < n) {  // repeat the text if it is short
    out.insert(out.end(), ids.begin(), ids.end());
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

AttentionCacheConfig ConfigFor(const HParams& hp, int64_t n, int n_layer) {
  return {n_layer, hp.n_head, hp.n_head_kv, hp.head_dim, n, KvType::kF32};
}

// All-position logits [n][n_vocab] with `cache`, in chunks of `chunk`.
base::Result<std::vector<float>> Logits(const Model& model, std::unique_ptr<AttentionCache> cache,
                                        const std::vector<int32_t>& tokens, int64_t chunk, base::ThreadPool* pool,
                                        std::unique_ptr<Transformer>* keep = nullptr) {
  auto tr = std::make_unique<Transformer>(model.loaded(), std::move(cache), pool, TransformerOptions{chunk});
  std::vector<float> logits(tokens.size() * static_cast<size_t>(model.n_vocab()));
  RETURN_IF_ERROR(tr->Forward(tokens, logits.data()));
  if (keep) *keep = std::move(tr);
  return logits;
}

void LogSoftmax(const float* x, int n, std::vector<double>* out) {
  out->resize(static_cast<size_t>(n));
  double mx = -1e300, sum = 0;
  for (int i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(x[i]));
  for (int i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
  const double lse = mx + std::log(sum);
  for (int i = 0; i < n; ++i) (*out)[static_cast<size_t>(i)] = x[i] - lse;
}

nlohmann::json CompareLogits(const std::vector<float>& dense, const std::vector<float>& test, int n_vocab) {
  const size_t n = dense.size() / static_cast<size_t>(n_vocab);
  std::vector<double> kl, lp, lq;
  int same = 0, confident = 0, same_confident = 0;
  for (size_t t = 0; t < n; ++t) {
    const float* a = &dense[t * n_vocab];
    const float* b = &test[t * n_vocab];
    LogSoftmax(a, n_vocab, &lp);
    LogSoftmax(b, n_vocab, &lq);
    double k = 0;
    for (int i = 0; i < n_vocab; ++i) k += std::exp(lp[static_cast<size_t>(i)]) * (lp[static_cast<size_t>(i)] - lq[static_cast<size_t>(i)]);
    kl.push_back(std::max(0.0, k));
    const int ta = static_cast<int>(std::max_element(a, a + n_vocab) - a);
    const int tb = static_cast<int>(std::max_element(b, b + n_vocab) - b);
    same += ta == tb;
    if (std::exp(lp[static_cast<size_t>(ta)]) >= 0.5) {
      ++confident;
      same_confident += ta == tb;
    }
  }
  return {{"positions", n},
          {"kl_median", Quantile(kl, 0.5)},
          {"kl_p90", Quantile(kl, 0.9)},
          {"kl_mean", Mean(kl)},
          {"same_top", static_cast<double>(same) / std::max<size_t>(1, n)},
          {"confident_positions", confident},
          {"same_top_confident", static_cast<double>(same_confident) / std::max(1, confident)}};
}

// Replays one recorded layer through a 1-layer tiered cache, token by token.
struct OpStats {
  std::vector<double> rel_err, mass, recall10;
};

base::Status ReplayLayer(const RecordedLayer& R, const HParams& hp, const TieredParams& params, int64_t T,
                         base::ThreadPool* pool, OpStats* st) {
  KvPolicy policy;
  policy.kind = KvPolicy::Kind::kTiered;
  policy.tiered = params;
  policy.n_dense_layers = 0;
  ASSIGN_OR_RETURN(std::unique_ptr<TieredCache> cache,
                   TieredCache::Create(ConfigFor(hp, T, 1), policy, KvRopeFor(hp)));
  const int d = hp.head_dim, nq = hp.n_q(), nkv = hp.n_kv(), group = hp.gqa_group();
  std::vector<float> out(static_cast<size_t>(nq));
  std::vector<double> p;
  std::vector<char> exact;
  for (int64_t t = 0; t < T; ++t) {
    RETURN_IF_ERROR(cache->Store({0, t, 1, &R.k[t * nkv], &R.v[t * nkv], &R.k_pre[t * nkv]}));
    cache->Attend({0, t, 1, &R.q[t * nq], out.data()}, pool);
    if (t + 1 <= params.n_sink + params.window) continue;  // no far range: exact by construction
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    for (int h = 0; h < hp.n_head; ++h) {
      const int g = h / group;
      const float* q = &R.q[t * nq + h * d];
      p.assign(static_cast<size_t>(t + 1), 0.0);
      double mx = -1e300, sum = 0;
      for (int64_t j = 0; j <= t; ++j) {
        double s = 0;
        for (int c = 0; c < d; ++c) s += static_cast<double>(q[c]) * R.k[j * nkv + g * d + c];
        p[static_cast<size_t>(j)] = s * scale;
        mx = std::max(mx, s * scale);
      }
      for (double& x : p) sum += (x = std::exp(x - mx));
      double num = 0, den = 0;
      for (int c = 0; c < d; ++c) {
        double o = 0;
        for (int64_t j = 0; j <= t; ++j) o += p[static_cast<size_t>(j)] * R.v[j * nkv + g * d + c];
        o /= sum;
        const double e = out[static_cast<size_t>(h * d + c)] - o;
        num += e * e;
        den += o * o;
      }
      st->rel_err.push_back(std::sqrt(num / std::max(den, 1e-30)));
      exact.assign(static_cast<size_t>(t + 1), 0);
      for (int64_t j = 0; j <= t; ++j) exact[static_cast<size_t>(j)] = j < params.n_sink || j >= t + 1 - params.window;
      for (int64_t pos : cache->selected_positions(g)) {
        if (pos < t + 1 - params.window) exact[static_cast<size_t>(pos)] = 1;
      }
      double m = 0;
      for (int64_t j = 0; j <= t; ++j) m += exact[static_cast<size_t>(j)] ? p[static_cast<size_t>(j)] : 0.0;
      st->mass.push_back(m / sum);
      std::vector<int64_t> idx(static_cast<size_t>(t + 1));
      for (int64_t j = 0; j <= t; ++j) idx[static_cast<size_t>(j)] = j;
      const size_t top = std::min<size_t>(10, idx.size());
      std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(top), idx.end(),
                        [&](int64_t a, int64_t b) { return p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)]; });
      int hit = 0;
      for (size_t i = 0; i < top; ++i) hit += exact[static_cast<size_t>(idx[i])];
      st->recall10.push_back(static_cast<double>(hit) / static_cast<double>(top));
    }
  }
  return base::Status::Ok();
}

base::Result<nlohmann::json> OperatorFidelity(const BenchContext& ctx, const std::string& file, int64_t T,
                                              const KvPolicy& policy) {
  ASSIGN_OR_RETURN(Model model, Model::Load(ctx.options->testdata + "/models/" + file));
  const HParams& hp = model.loaded()->hparams();
  ASSIGN_OR_RETURN(std::vector<int32_t> tokens, TextTokens(model, ctx.options->testdata, T));
  auto rec = std::make_unique<RecordingCache>(ConfigFor(hp, T, hp.n_layer));
  std::unique_ptr<Transformer> tr;
  ASSIGN_OR_RETURN(std::vector<float> logits, Logits(model, std::move(rec), tokens, 64, ctx.pool, &tr));
  const auto& recorded = static_cast<const RecordingCache&>(tr->cache());
  nlohmann::json layers = nlohmann::json::array();
  OpStats all;
  for (int l = 0; l < hp.n_layer; ++l) {
    const TieredParams params = policy.ForLayer(l);
    OpStats st;
    RETURN_IF_ERROR(ReplayLayer(recorded.layer(l), hp, params, T, ctx.pool, &st));
    layers.push_back({{"layer", l},
                      {"window", params.window},
                      {"rel_error_median", Quantile(st.rel_err, 0.5)},
                      {"rel_error_p99", Quantile(st.rel_err, 0.99)},
                      {"exact_mass_median", Quantile(st.mass, 0.5)},
                      {"top10_recall_mean", Mean(st.recall10)},
                      {"samples", st.rel_err.size()}});
    all.rel_err.insert(all.rel_err.end(), st.rel_err.begin(), st.rel_err.end());
    all.mass.insert(all.mass.end(), st.mass.begin(), st.mass.end());
    all.recall10.insert(all.recall10.end(), st.recall10.begin(), st.recall10.end());
  }
  return nlohmann::json{{"model", file},
                        {"tokens", T},
                        {"rel_error_median", Quantile(all.rel_err, 0.5)},
                        {"rel_error_p99", Quantile(all.rel_err, 0.99)},
                        {"exact_mass_median", Quantile(all.mass, 0.5)},
                        {"exact_mass_p10", Quantile(all.mass, 0.1)},
                        {"top10_recall_mean", Mean(all.recall10)},
                        {"samples", all.rel_err.size()},
                        {"note", "samples: (position, query head) pairs with a far range, tiered layers only"},
                        {"layers", layers}};
}

struct Variant {
  const char* name;
  std::string spec;
  int64_t chunk;  // 1: token by token (the decode path)
};

base::Result<nlohmann::json> StoriesKl(const BenchContext& ctx, int64_t T, const std::vector<Variant>& variants) {
  ASSIGN_OR_RETURN(Model model, Model::Load(ctx.options->testdata + "/models/stories260K.gguf"));
  const HParams& hp = model.loaded()->hparams();
  ASSIGN_OR_RETURN(std::vector<int32_t> tokens, TextTokens(model, ctx.options->testdata, T));
  Progress(ctx, "models: stories260K dense reference at T=" + std::to_string(T));
  ASSIGN_OR_RETURN(std::vector<float> dense, Logits(model, NewDenseCache(ConfigFor(hp, T, hp.n_layer)), tokens, 64,
                                                    ctx.pool));
  nlohmann::json out = nlohmann::json::array();
  for (const Variant& v : variants) {
    Progress(ctx, std::string("models: stories260K ") + v.name + " at T=" + std::to_string(T));
    ASSIGN_OR_RETURN(KvPolicy policy, ParseKvPolicy(v.spec));
    ASSIGN_OR_RETURN(std::unique_ptr<AttentionCache> cache,
                     NewAttentionCache(ConfigFor(hp, T, hp.n_layer), policy, KvRopeFor(hp)));
    ASSIGN_OR_RETURN(std::vector<float> logits, Logits(model, std::move(cache), tokens, v.chunk, ctx.pool));
    nlohmann::json r = CompareLogits(dense, logits, hp.n_vocab);
    r["variant"] = v.name;
    r["policy"] = KvPolicyToString(policy);
    r["chunk"] = v.chunk;
    out.push_back(r);
  }
  return out;
}

}  // namespace

base::Result<nlohmann::json> BenchModels(const BenchContext& ctx) {
  nlohmann::json out;
  ASSIGN_OR_RETURN(KvPolicy small, ParseKvPolicy(kSmallSetting));
  out["setting"] = KvPolicyToString(small);
  nlohmann::json ops = nlohmann::json::array();
  for (const char* file : {"stories260K.gguf", "tiny-llama-spm-f32.gguf", "tiny-llama-bpe-f32.gguf",
                           "tiny-qwen2-f32.gguf", "tiny-qwen3-f32.gguf"}) {
    Progress(ctx, std::string("models: operator fidelity on ") + file);
    // Every layer tiered here: the operator is what is measured.
    KvPolicy policy = small;
    policy.n_dense_layers = 0;
    ASSIGN_OR_RETURN(nlohmann::json r, OperatorFidelity(ctx, file, ctx.options->model_tokens, policy));
    ops.push_back(r);
  }
  out["operator_fidelity"] = ops;

  const std::string s = kSmallSetting;
  const std::vector<Variant> t512 = {
      {"main (selection + summary 32, layers 0-1 dense, decode path)", s, 1},
      {"main, chunked prefill of 64", s, 64},
      {"selection only (no summary)", s + ",summary=0", 1},
      {"streamingllm (sinks + window 96, same exact budget)", s + ",window=96,topk=0,summary=0", 1},
      {"streamingllm, layers 0-1 not dense", s + ",window=96,topk=0,summary=0,dense_layers=0", 1},
      {"fp16 cold store", s + ",bits=16", 1},
      {"layers 0-1 not dense", s + ",dense_layers=0", 1},
      {"layers 0-1 not dense, no summary", s + ",dense_layers=0,summary=0", 1},
      {"int4-only floor (k covers every unit)", s + ",topk=64,summary=0", 1},
  };
  ASSIGN_OR_RETURN(out["stories260K_T512"], StoriesKl(ctx, ctx.options->model_tokens, t512));
  if (ctx.options->model_informative_2048) {
    const std::vector<Variant> t2048 = {
        {"main (informative: out of training distribution)", s, 1},
        {"int4-only floor (k covers every unit)", s + ",topk=256,summary=0", 1},
    };
    ASSIGN_OR_RETURN(out["stories260K_T2048_informative"], StoriesKl(ctx, 2048, t2048));
  }
  return out;
}

}  // namespace engine::kv
