// `longhaul perplexity`: llama-perplexity's algorithm, so numbers compare.
//
// The text is tokenized whole (with BOS). Each chunk of CTX tokens starts
// with BOS in place of its first token and is evaluated from an empty
// cache; the second half of each chunk is scored.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"

namespace cli {
namespace {

struct PerplexityFlags {
  EngineFlags engine;
  std::string text_path;
  bool json = false;
};

int RunPerplexity(PerplexityFlags f) {
  auto text = base::DefaultFileSystem()->ReadFile(f.text_path);
  if (!text.ok()) return ReportError(text.status());
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  if (f.engine.ctx <= 0) f.engine.ctx = 512;
  const int64_t n_ctx = f.engine.ctx;
  if (n_ctx < 4) return ReportError(base::InvalidArgument("--ctx must be at least 4 for perplexity"));

  std::vector<int32_t> tokens = model->Tokenize(*text, /*add_special=*/true, /*parse_special=*/false);
  const int64_t n_chunk = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (n_chunk == 0) {
    return ReportError(base::InvalidArgument("the text has " + std::to_string(tokens.size()) +
                                             " tokens, fewer than one context of " + std::to_string(n_ctx)));
  }
  const int32_t bos = tokens.front();
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());

  const size_t n_vocab = static_cast<size_t>(model->n_vocab());
  std::vector<float> logits(static_cast<size_t>(n_ctx) * n_vocab);
  double nll_sum = 0, nll_sq_sum = 0;
  int64_t count = 0;
  const int64_t first = n_ctx / 2;
  for (int64_t c = 0; c < n_chunk; ++c) {
    std::vector<int32_t> chunk(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx);
    chunk[0] = bos;
    (*ctx)->Truncate(0);
    if (base::Status s = (*ctx)->Eval(chunk, logits.data()); !s.ok()) return ReportError(s);
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      const float* row = &logits[static_cast<size_t>(j) * n_vocab];
      float max_logit = row[0];
      for (size_t v = 1; v < n_vocab; ++v) max_logit = std::max(max_logit, row[v]);
      double sum = 0;
      for (size_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v] - max_logit));
      const int32_t target = tokens[static_cast<size_t>(c * n_ctx + j + 1)];
      const double nll = std::log(sum) - static_cast<double>(row[target] - max_logit);
      nll_sum += nll;
      nll_sq_sum += nll * nll;
      ++count;
    }
    if (!f.json) std::fprintf(stderr, "[%lld]%.4f,", static_cast<long long>(c + 1), std::exp(nll_sum / count));
  }
  const double mean = nll_sum / count;
  const double ppl = std::exp(mean);
  const double var = nll_sq_sum / count - mean * mean;
  const double err = count > 1 ? ppl * std::sqrt(std::max(0.0, var) / static_cast<double>(count - 1)) : 0.0;
  if (f.json) {
    std::printf("{\"ppl\": %.6f, \"ppl_error\": %.6f, \"chunks\": %lld, \"tokens_scored\": %lld, \"ctx\": %lld}\n",
                ppl, err, static_cast<long long>(n_chunk), static_cast<long long>(count),
                static_cast<long long>(n_ctx));
  } else {
    std::fprintf(stderr, "\n");
    std::printf("PPL = %.4f +/- %.5f (%lld chunks of %lld, %lld tokens scored)\n", ppl, err,
                static_cast<long long>(n_chunk), static_cast<long long>(n_ctx), static_cast<long long>(count));
  }
  return kExitOk;
}

}  // namespace

void RegisterPerplexityCommand(CommandTable& table) {
  auto flags = std::make_shared<PerplexityFlags>();
  CLI::App* app = table.Add("perplexity", "Measure perplexity on a text file (llama-perplexity's method)",
                            [flags] { return RunPerplexity(*flags); });
  AddEngineFlags(app, &flags->engine);
  app->add_option("-f,--file", flags->text_path, "text file")->required();
  app->add_flag("--json", flags->json, "print one JSON object");
}

}  // namespace cli
