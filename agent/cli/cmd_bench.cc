// `longhaul bench engine`: prompt and decode throughput as JSON, measured
// like llama-bench (pp: one prompt from an empty cache; tg: single-token
// decode steps from an empty cache).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"

namespace cli {
namespace {

struct BenchFlags {
  EngineFlags engine;
  int pp = 512;
  int tg = 128;
  int reps = 3;
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
        token = engine::ArgMax((*ctx)->logits());
      }
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) tg_rates.push_back(f.tg / secs);
    }
  }
  const engine::ModelSummary info = model->Summary();
  std::printf("{\"bench\": \"engine\", \"backend\": \"cpu\", \"kernels\": \"%s\", \"model\": \"%s\", ",
              engine::CpuKernelName().c_str(), info.path.c_str());
  std::printf("\"arch\": \"%s\", \"threads\": %d, \"kv_type\": \"%s\", \"reps\": %d, ", info.arch.c_str(),
              f.engine.threads, f.engine.kv_type.c_str(), f.reps);
  if (!pp_rates.empty()) {
    Stats s = Summarize(pp_rates);
    std::printf("\"pp\": %d, \"prompt_tok_s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}, ", f.pp, s.median,
                s.min, s.max);
  }
  if (!tg_rates.empty()) {
    Stats s = Summarize(tg_rates);
    std::printf("\"tg\": %d, \"decode_tok_s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}, ", f.tg, s.median,
                s.min, s.max);
  }
  std::printf("\"model_bytes\": %llu, \"kv_bytes\": %zu, \"peak_rss_bytes\": %lld}\n",
              static_cast<unsigned long long>(info.weight_bytes), (*ctx)->kv_bytes(),
              static_cast<long long>(PeakRssBytes()));
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
}

}  // namespace cli
