// `longhaul generate`: stream a continuation of a prompt.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"

namespace cli {
namespace {

struct GenerateFlags {
  EngineFlags engine;
  std::string prompt;
  int n_predict = 128;
  engine::SamplerParams sampling;
  bool ignore_eos = false;
};

int RunGenerate(const GenerateFlags& f) {
  if (f.prompt.empty()) return ReportError(base::InvalidArgument("the prompt is empty (-p TEXT)"));
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());

  std::vector<int32_t> tokens = model->Tokenize(f.prompt, /*add_special=*/true, /*parse_special=*/true);
  if (tokens.empty()) return ReportError(base::InvalidArgument("the prompt produced no tokens"));
  if (static_cast<int64_t>(tokens.size()) >= (*ctx)->n_ctx()) {
    return ReportError(base::InvalidArgument("the prompt has " + std::to_string(tokens.size()) +
                                             " tokens, which does not fit the context of " +
                                             std::to_string((*ctx)->n_ctx()) + " (raise --ctx)"));
  }
  std::cout << f.prompt << std::flush;

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (base::Status s = (*ctx)->Eval(tokens); !s.ok()) return ReportError(s);
  const auto t1 = Clock::now();

  engine::Sampler sampler(f.sampling);
  engine::TextStream stream(*model);
  int generated = 0;
  while (generated < f.n_predict && (*ctx)->n_past() < (*ctx)->n_ctx()) {
    const int32_t next = sampler.Sample((*ctx)->logits(), tokens);
    if (!f.ignore_eos && model->IsEndOfGeneration(next)) break;
    tokens.push_back(next);
    ++generated;
    std::cout << stream.Push(next) << std::flush;
    if ((*ctx)->n_past() >= (*ctx)->n_ctx()) break;
    if (base::Status s = (*ctx)->Eval(std::span<const int32_t>(&tokens.back(), 1)); !s.ok()) {
      std::cout << "\n";
      return ReportError(s);
    }
  }
  std::cout << stream.Flush() << "\n";
  const auto t2 = Clock::now();
  const double prompt_s = std::chrono::duration<double>(t1 - t0).count();
  const double gen_s = std::chrono::duration<double>(t2 - t1).count();
  std::fprintf(stderr, "\n[prompt: %zu tokens, %.1f tok/s | generated: %d tokens, %.1f tok/s]\n",
               tokens.size() - static_cast<size_t>(generated),
               static_cast<double>(tokens.size() - static_cast<size_t>(generated)) / std::max(prompt_s, 1e-9),
               generated, generated / std::max(gen_s, 1e-9));
  return kExitOk;
}

}  // namespace

void RegisterGenerateCommand(CommandTable& table) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* app = table.Add("generate", "Generate text from a prompt", [flags] { return RunGenerate(*flags); });
  AddEngineFlags(app, &flags->engine);
  app->add_option("-p,--prompt", flags->prompt, "prompt text")->required();
  app->add_option("-n,--n-predict", flags->n_predict, "tokens to generate")->check(CLI::NonNegativeNumber);
  app->add_option("--temp", flags->sampling.temperature, "temperature (0: greedy)");
  app->add_option("--top-k", flags->sampling.top_k, "top-k (0: off)");
  app->add_option("--top-p", flags->sampling.top_p, "top-p (1: off)");
  app->add_option("--min-p", flags->sampling.min_p, "min-p (0: off)");
  app->add_option("--repeat-penalty", flags->sampling.repeat_penalty, "repetition penalty (1: off)");
  app->add_option("--repeat-last-n", flags->sampling.repeat_last_n, "tokens the penalty looks back over");
  app->add_option("-s,--seed", flags->sampling.seed, "random seed");
  app->add_flag("--ignore-eos", flags->ignore_eos, "keep generating past end-of-generation tokens");
}

}  // namespace cli
