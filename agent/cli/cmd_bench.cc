// `longhaul bench engine`: prompt and decode throughput as JSON, measured
// like llama-bench (pp: one prompt from an empty cache; tg: single-token
// decode steps from an empty cache).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"
#include "agent/cli/llama_peer.h"
#include "engine/constrained.h"

namespace cli {
namespace {

struct BenchFlags {
  EngineFlags engine;
  int pp = 512;
  int tg = 128;
  int reps = 3;
  bool vs_llama_cpp = false;  // also time llama.cpp on the same file, same tokens
  int grammar_steps = 0;      // > 0: also time the tool-call grammar mask for this many tokens
  std::string llama_cpp_dir;  // empty: the pinned npm package
};

struct Stats {
  double median = 0, min = 0, max = 0;
};

Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return s;
}

int64_t PeakRssBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

struct Rates {
  std::vector<double> pp, tg;
};

// llama.cpp on the same file, prompt and thread count, timed the same way
// (pp: the prompt as one batch into an empty cache; tg: single-token steps).
base::Result<Rates> BenchLlamaCpp(const BenchFlags& f, const std::vector<int32_t>& prompt, int32_t first_token) {
  ASSIGN_OR_RETURN(LlamaPeer peer, LlamaPeer::Load(f.llama_cpp_dir));
  LlamaSessionOptions o;
  o.n_ctx = static_cast<uint32_t>(std::max(f.pp, f.tg) + 16);
  o.n_batch = static_cast<uint32_t>(std::max(f.pp, 1));
  o.n_threads = f.engine.threads > 0 ? f.engine.threads : static_cast<int>(std::thread::hardware_concurrency());
  ASSIGN_OR_RETURN(std::unique_ptr<LlamaSession> s, peer.Open(f.engine.model_path, o));
  using Clock = std::chrono::steady_clock;
  Rates r;
  for (int rep = -1; rep < f.reps; ++rep) {
    if (f.pp > 0) {
      RETURN_IF_ERROR(s->Reset());
      const auto t0 = Clock::now();
      RETURN_IF_ERROR(s->Decode(prompt));
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) r.pp.push_back(f.pp / secs);
    }
    if (f.tg > 0) {
      RETURN_IF_ERROR(s->Reset());
      int32_t token = first_token;
      const auto t0 = Clock::now();
      for (int i = 0; i < f.tg; ++i) {
        RETURN_IF_ERROR(s->Decode(std::span<const int32_t>(&token, 1)));
        token = engine::ArgMax(s->Logits());
      }
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) r.tg.push_back(f.tg / secs);
    }
  }
  return r;
}

void PrintStats(const char* name, const std::vector<double>& rates) {
  const Stats s = Summarize(rates);
  std::printf("\"%s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}", name, s.median, s.min, s.max);
}

// The cost of grammar-constrained decoding: the tool-call mask over this
// model's vocabulary, per sampled token, while random logits write calls.
struct GrammarTiming {
  std::vector<double> mask_ms;
  int calls = 0;
};

base::Result<GrammarTiming> BenchGrammar(const engine::Model& model, int steps) {
  const std::vector<engine::ToolSchema> tools = {
      {"read_file", R"({"type":"object","properties":{"path":{"type":"string"},"start":{"type":"integer"},
                       "end":{"type":"integer"}},"required":["path"]})"},
      {"run_command", R"({"type":"object","properties":{"argv":{"type":"array","items":{"type":"string"}}},
                         "required":["argv"]})"},
      {"edit_file", R"({"type":"object","properties":{"path":{"type":"string"},"old":{"type":"string"},
                       "new":{"type":"string"}},"required":["path","old","new"]})"},
  };
  ASSIGN_OR_RETURN(std::unique_ptr<engine::TokenConstraint> c,
                   engine::TokenConstraint::ForToolCalls(model, tools, engine::ToolCallSyntax::kHermes));
  std::mt19937 rng(99);
  std::normal_distribution<float> noise(0.0f, 2.0f);
  std::vector<float> logits(static_cast<size_t>(model.n_vocab()));
  GrammarTiming t;
  for (int step = 0; step < steps; ++step) {
    if (c->finished()) {
      c->Reset();
      ++t.calls;
    }
    for (float& l : logits) l = noise(rng);
    const auto t0 = std::chrono::steady_clock::now();
    c->Mask(logits);
    t.mask_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    const int32_t id = engine::ArgMax(logits);
    if (model.IsEndOfGeneration(id)) {
      c->Reset();
      ++t.calls;
      continue;
    }
    RETURN_IF_ERROR(c->Accept(id));
  }
  return t;
}

int RunBenchEngine(BenchFlags f) {
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  if (f.engine.ctx <= 0) f.engine.ctx = std::max(f.pp, f.tg) + 1;
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());

  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> pick(0, model->n_vocab() - 1);
  std::vector<int32_t> prompt(static_cast<size_t>(f.pp));
  for (int32_t& t : prompt) t = pick(rng);

  using Clock = std::chrono::steady_clock;
  std::vector<double> pp_rates, tg_rates;
  const bool on_device = (*ctx)->backend_name() != "cpu";
  std::vector<engine::TokenProb> top;
  // One untimed warm-up of each kind pages the weights in.
  for (int rep = -1; rep < f.reps; ++rep) {
    if (f.pp > 0) {
      (*ctx)->Truncate(0);
      const auto t0 = Clock::now();
      if (base::Status s = (*ctx)->Eval(prompt); !s.ok()) return ReportError(s);
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) pp_rates.push_back(f.pp / secs);
    }
    if (f.tg > 0) {
      (*ctx)->Truncate(0);
      int32_t token = pick(rng);
      const auto t0 = Clock::now();
      for (int i = 0; i < f.tg; ++i) {
        if (base::Status s = (*ctx)->Eval(std::span<const int32_t>(&token, 1)); !s.ok()) return ReportError(s);
        // On a device the greedy pick runs there (TopTokens) and only
        // one id crosses back, as a sampler on that backend would do.
        if (on_device) {
          if (base::Status s = (*ctx)->TopTokens(1, 1.0f, &top); !s.ok()) return ReportError(s);
          token = top[0].id;
        } else {
          token = engine::ArgMax((*ctx)->logits());
        }
      }
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) tg_rates.push_back(f.tg / secs);
    }
  }
  const engine::ModelSummary info = model->Summary();
  std::printf("{\"bench\": \"engine\", \"backend\": \"%s\", \"kernels\": \"%s\", \"model\": \"%s\", ",
              (*ctx)->backend_name().c_str(), engine::CpuKernelName().c_str(), info.path.c_str());
  std::printf("\"arch\": \"%s\", \"threads\": %d, \"kv_type\": \"%s\", \"reps\": %d, \"pp\": %d, \"tg\": %d, ",
              info.arch.c_str(), f.engine.threads, f.engine.kv_type.c_str(), f.reps, f.pp, f.tg);
  if (!pp_rates.empty()) {
    PrintStats("prompt_tok_s", pp_rates);
    std::printf(", ");
  }
  if (!tg_rates.empty()) {
    PrintStats("decode_tok_s", tg_rates);
    std::printf(", ");
  }
  std::printf("\"model_bytes\": %llu, \"kv_bytes\": %zu, \"peak_rss_bytes\": %lld",
              static_cast<unsigned long long>(info.weight_bytes), (*ctx)->kv_bytes(),
              static_cast<long long>(PeakRssBytes()));
  if (f.vs_llama_cpp) {
    // Same prompt ids; decode starts from the same token.
    auto peer = BenchLlamaCpp(f, prompt, prompt.empty() ? 1 : prompt.front());
    if (!peer.ok()) {
      std::printf(", \"llama_cpp\": {\"error\": %s}", nlohmann::json(peer.status().ToString()).dump().c_str());
    } else {
      std::printf(", \"llama_cpp\": {");
      if (!peer->pp.empty()) {
        PrintStats("prompt_tok_s", peer->pp);
        std::printf(", \"prompt_ratio\": %.3f%s", Summarize(pp_rates).median / Summarize(peer->pp).median,
                    peer->tg.empty() ? "" : ", ");
      }
      if (!peer->tg.empty()) {
        PrintStats("decode_tok_s", peer->tg);
        std::printf(", \"decode_ratio\": %.3f", Summarize(tg_rates).median / Summarize(peer->tg).median);
      }
      std::printf("}");
    }
  }
  if (f.grammar_steps > 0) {
    auto g = BenchGrammar(*model, f.grammar_steps);
    if (!g.ok()) return ReportError(g.status());
    std::printf(", \"grammar\": {\"vocab\": %d, \"masks\": %zu, \"calls_completed\": %d, ", model->n_vocab(),
                g->mask_ms.size(), g->calls);
    PrintStats("mask_ms", g->mask_ms);
    std::printf("}");
  }
  std::printf("}\n");
  return kExitOk;
}

}  // namespace

void RegisterBenchCommands(CommandTable& table) {
  CLI::App* bench = table.Add("bench", "Benchmarks that print JSON", nullptr);
  bench->require_subcommand(1);
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* eng = bench->add_subcommand("engine", "Prompt and decode tokens per second");
  table.Track(eng, [flags] { return RunBenchEngine(*flags); });
  AddEngineFlags(eng, &flags->engine);
  eng->add_option("--pp", flags->pp, "prompt tokens")->check(CLI::NonNegativeNumber);
  eng->add_option("--tg", flags->tg, "decode tokens")->check(CLI::NonNegativeNumber);
  eng->add_option("--reps", flags->reps, "timed repetitions")->check(CLI::PositiveNumber);
  eng->add_option("--grammar", flags->grammar_steps,
                  "also time the tool-call grammar mask over N sampled tokens (ms per token)")
      ->check(CLI::NonNegativeNumber);
  eng->add_flag("--vs-llama-cpp", flags->vs_llama_cpp,
                "also time llama.cpp (dlopen'ed) on the same file, tokens and threads; ratios are ours / theirs");
  RegisterBenchKvCommand(table, bench);
  RegisterBenchSessionCommand(table, bench);
  RegisterBenchToolsCommand(table, bench);
  eng->add_option("--llama-cpp-dir", flags->llama_cpp_dir,
                  "directory with libllama.*.so and libggml.*.so (default: the pinned npm package)");
}

}  // namespace cli
