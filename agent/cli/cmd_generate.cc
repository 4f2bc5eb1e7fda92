// `longhaul generate`: stream a continuation of a prompt. With --session
// NAME the KV state persists: the run resumes the session's last
// checkpoint (no prefill of old tokens), appends the prompt, generates,
// and checkpoints again.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"
#include "sessions/store.h"

namespace cli {
namespace {

struct GenerateFlags {
  EngineFlags engine;
  std::string prompt;
  int n_predict = 128;
  engine::SamplerParams sampling;
  bool ignore_eos = false;
  std::string session;   // empty: no persistence
  std::string data_dir;  // empty: sessions::DefaultDataDir()
};

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Samples up to n_predict tokens after `tokens` (whose KV ctx holds),
// evaluating each, and streams their text to stdout. Returns the count.
base::Result<int> GenerateTokens(const GenerateFlags& f, const engine::Model& model, engine::Context* ctx,
                                 engine::Sampler* sampler, std::vector<int32_t>* tokens, std::string* text) {
  engine::TextStream stream(model);
  int generated = 0;
  // On a GPU only the candidates cross to the host (the CPU keeps its
  // one path, so its output does not move with this choice).
  const int top_k = sampler->TopTokensNeeded();
  const bool sample_on_device = ctx->backend_name() != "cpu" && top_k > 0;
  std::vector<engine::TokenProb> top;
  while (generated < f.n_predict && ctx->n_past() < ctx->n_ctx()) {
    int32_t next = 0;
    if (sample_on_device) {
      RETURN_IF_ERROR(ctx->TopTokens(top_k, 1.0f, &top));
      next = sampler->SampleFromTop(top);
    } else {
      next = sampler->Sample(ctx->logits(), *tokens);
    }
    if (!f.ignore_eos && model.IsEndOfGeneration(next)) break;
    tokens->push_back(next);
    ++generated;
    const std::string piece = stream.Push(next);
    *text += piece;
    std::cout << piece << std::flush;
    if (ctx->n_past() >= ctx->n_ctx()) break;
    if (base::Status s = ctx->Eval(std::span<const int32_t>(&tokens->back(), 1)); !s.ok()) {
      std::cout << "\n";
      return s;
    }
  }
  const std::string rest = stream.Flush();
  *text += rest;
  std::cout << rest << "\n";
  return generated;
}

base::Status CheckFits(size_t n_tokens, const engine::Context& ctx) {
  if (static_cast<int64_t>(n_tokens) < ctx.n_ctx()) return base::Status::Ok();
  return base::InvalidArgument("the prompt has " + std::to_string(n_tokens) +
                               " tokens, which does not fit the context of " +
                               std::to_string(ctx.n_ctx()) + " (raise --ctx)");
}

int RunGenerate(const GenerateFlags& f) {
  if (f.prompt.empty()) return ReportError(base::InvalidArgument("the prompt is empty (-p TEXT)"));
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());

  std::vector<int32_t> tokens = model->Tokenize(f.prompt, /*add_special=*/true, /*parse_special=*/true);
  if (tokens.empty()) return ReportError(base::InvalidArgument("the prompt produced no tokens"));
  if (base::Status s = CheckFits(tokens.size(), **ctx); !s.ok()) return ReportError(s);
  std::cout << f.prompt << std::flush;

  const auto t0 = Clock::now();
  if (base::Status s = (*ctx)->Eval(tokens); !s.ok()) return ReportError(s);
  const auto t1 = Clock::now();

  engine::Sampler sampler(f.sampling);
  std::string text;
  auto generated = GenerateTokens(f, *model, ctx->get(), &sampler, &tokens, &text);
  if (!generated.ok()) return ReportError(generated.status());
  const auto t2 = Clock::now();
  const double prompt_s = std::chrono::duration<double>(t1 - t0).count();
  const double gen_s = std::chrono::duration<double>(t2 - t1).count();
  const size_t n_prompt = tokens.size() - static_cast<size_t>(*generated);
  std::fprintf(stderr, "\n[prompt: %zu tokens, %.1f tok/s | generated: %d tokens, %.1f tok/s]\n", n_prompt,
               static_cast<double>(n_prompt) / std::max(prompt_s, 1e-9), *generated,
               *generated / std::max(gen_s, 1e-9));
  return kExitOk;
}

int RunSessionGenerate(GenerateFlags f) {
  const std::string data_dir = f.data_dir.empty() ? sessions::DefaultDataDir() : f.data_dir;
  if (data_dir.empty()) return ReportError(base::InvalidArgument("no data directory: pass --data-dir DIR"));
  auto store = sessions::Store::Open({.data_dir = data_dir});
  if (!store.ok()) return ReportError(store.status());
  auto existing = (*store)->Find(f.session);
  if (!existing.ok() && existing.status().code() != base::StatusCode::kNotFound) {
    return ReportError(existing.status());
  }
  // A resumed session keeps its KV policy unless the user chose one.
  if (existing.ok() && f.engine.kv == "auto" && f.engine.kv_options.empty()) f.engine.kv = existing->policy;

  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());
  auto writer = existing.ok() ? (*store)->OpenWriter(existing->id)
                              : (*store)->Create(**ctx, {.name = f.session, .model_path = f.engine.model_path});
  if (!writer.ok()) return ReportError(writer.status());

  auto restored = (*writer)->Restore(ctx->get());
  if (!restored.ok()) return ReportError(restored.status());
  std::vector<int32_t> tokens = restored->history;
  engine::Sampler sampler(f.sampling);
  if (restored->checkpoint_id != 0) {
    sampler.set_rng_state(restored->sampler.rng);  // draw exactly what the original would have
    std::fprintf(stderr, "[session %s: restored %zu tokens from checkpoint %lld (%lld blocks mapped, %.2f MiB) in %.1f ms]\n",
                 f.session.c_str(), tokens.size(), static_cast<long long>(restored->checkpoint_id),
                 static_cast<long long>(restored->blocks_loaded), static_cast<double>(restored->bytes_mapped) / 1048576.0,
                 restored->seconds * 1e3);
  } else {
    std::fprintf(stderr, "[session %s: new session %s]\n", f.session.c_str(), (*writer)->info().id.c_str());
  }

  std::vector<int32_t> fresh;
  if (!f.prompt.empty()) fresh = model->Tokenize(f.prompt, /*add_special=*/tokens.empty(), /*parse_special=*/true);
  if (tokens.empty() && fresh.empty()) {
    return ReportError(base::InvalidArgument("the prompt is empty (-p TEXT) and the session holds no tokens yet"));
  }
  if (base::Status s = CheckFits(tokens.size() + fresh.size(), **ctx); !s.ok()) return ReportError(s);
  std::cout << f.prompt << std::flush;
  const auto t0 = Clock::now();
  if (!fresh.empty()) {
    if (base::Status s = (*ctx)->Eval(fresh); !s.ok()) return ReportError(s);
    tokens.insert(tokens.end(), fresh.begin(), fresh.end());
  }
  const double prefill_ms = MillisSince(t0);
  std::string text;
  auto generated = GenerateTokens(f, *model, ctx->get(), &sampler, &tokens, &text);
  if (!generated.ok()) return ReportError(generated.status());

  sessions::SessionWriter& w = **writer;
  if (!f.prompt.empty()) {
    if (base::Status s = w.AppendEvent("prompt", nlohmann::json{{"text", f.prompt}}.dump()); !s.ok()) {
      return ReportError(s);
    }
  }
  const std::string completion = nlohmann::json{{"text", text}, {"tokens", *generated}}.dump();
  if (base::Status s = w.AppendEvent("completion", completion); !s.ok()) return ReportError(s);
  auto stats = w.Checkpoint(**ctx, tokens, {sampler.rng_state()});
  if (!stats.ok()) return ReportError(stats.status());
  std::fprintf(stderr,
               "[session %s: prefill %zu new tokens in %.1f ms, generated %d | checkpoint %lld: %lld tokens, "
               "%lld new blocks, %.2f MiB written in %.1f ms]\n",
               f.session.c_str(), fresh.size(), prefill_ms, *generated, static_cast<long long>(stats->checkpoint_id),
               static_cast<long long>(stats->n_past), static_cast<long long>(stats->new_blocks),
               static_cast<double>(stats->bytes_written) / 1048576.0, stats->seconds * 1e3);
  return kExitOk;
}

}  // namespace

void RegisterGenerateCommand(CommandTable& table) {
  auto flags = std::make_shared<GenerateFlags>();
  auto prompt_given = std::make_shared<CLI::Option*>(nullptr);
  CLI::App* app = table.Add("generate", "Generate text from a prompt", [flags, prompt_given] {
    if (flags->session.empty() && (*prompt_given)->count() == 0) {
      std::cerr << "error: --prompt is required (it may be omitted only to continue a --session)\n";
      return kExitUsage;
    }
    return flags->session.empty() ? RunGenerate(*flags) : RunSessionGenerate(*flags);
  });
  AddEngineFlags(app, &flags->engine);
  *prompt_given =
      app->add_option("-p,--prompt", flags->prompt, "prompt text (with --session, may be omitted to continue)");
  app->add_option("-n,--n-predict", flags->n_predict, "tokens to generate")->check(CLI::NonNegativeNumber);
  app->add_option("--temp", flags->sampling.temperature, "temperature (0: greedy)");
  app->add_option("--top-k", flags->sampling.top_k, "top-k (0: off)");
  app->add_option("--top-p", flags->sampling.top_p, "top-p (1: off)");
  app->add_option("--min-p", flags->sampling.min_p, "min-p (0: off)");
  app->add_option("--repeat-penalty", flags->sampling.repeat_penalty, "repetition penalty (1: off)");
  app->add_option("--repeat-last-n", flags->sampling.repeat_last_n, "tokens the penalty looks back over");
  app->add_option("-s,--seed", flags->sampling.seed, "random seed (a resumed session keeps its own RNG state)");
  app->add_flag("--ignore-eos", flags->ignore_eos, "keep generating past end-of-generation tokens");
  app->add_option("--session", flags->session,
                  "persist the KV cache in this session: resume it if it exists (no prefill), create it if not, "
                  "checkpoint after generating");
  app->add_option("--data-dir", flags->data_dir, "session store directory (default: $XDG_DATA_HOME/longhaul)");
}

}  // namespace cli
