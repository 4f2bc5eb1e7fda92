// `longhaul eval` (logits for every prompt position) and `longhaul tokenize`.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"

namespace cli {
namespace {

// Parses "1,2,3" into ids.
base::Result<std::vector<int32_t>> ParseIds(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      long long v = std::stoll(item, &used);
      if (used != item.size() || v < 0 || v > INT32_MAX) throw std::out_of_range(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return base::InvalidArgument("--tokens: '" + item + "' is not a token id");
    }
  }
  return ids;
}

void PrintIds(const std::vector<int32_t>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
}

struct EvalFlags {
  EngineFlags engine;
  std::string prompt;
  std::string tokens;
  std::string logits_out;
};

int RunEval(const EvalFlags& f) {
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  std::vector<int32_t> ids;
  if (!f.tokens.empty()) {
    auto parsed = ParseIds(f.tokens);
    if (!parsed.ok()) return ReportError(parsed.status());
    ids = std::move(parsed).value();
  } else {
    ids = model->Tokenize(f.prompt, /*add_special=*/true, /*parse_special=*/true);
  }
  if (ids.empty()) return ReportError(base::InvalidArgument("nothing to evaluate: the prompt is empty"));
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());
  std::vector<float> logits(ids.size() * static_cast<size_t>(model->n_vocab()));
  if (base::Status s = (*ctx)->Eval(ids, logits.data()); !s.ok()) return ReportError(s);
  if (!f.logits_out.empty()) {
    std::string bytes(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
    if (base::Status s = base::DefaultFileSystem()->WriteFileAtomic(f.logits_out, bytes); !s.ok()) {
      return ReportError(s);
    }
  }
  PrintIds(ids);
  return kExitOk;
}

struct TokenizeFlags {
  std::string model_path;
  std::string prompt;
  bool no_special = false;
  bool no_parse_special = false;
  bool pieces = false;
};

int RunTokenize(const TokenizeFlags& f) {
  // Only the vocabulary is needed, so vocabulary-only GGUF files work too.
  auto model = engine::Model::LoadVocab(f.model_path);
  if (!model.ok()) return ReportError(model.status());
  std::vector<int32_t> ids = model->Tokenize(f.prompt, !f.no_special, !f.no_parse_special);
  if (!f.pieces) {
    PrintIds(ids);
    return kExitOk;
  }
  for (int32_t id : ids) std::cout << id << "\t'" << model->TokenToPiece(id) << "'\n";
  return kExitOk;
}

}  // namespace

void RegisterEvalCommands(CommandTable& table) {
  auto eval = std::make_shared<EvalFlags>();
  CLI::App* app = table.Add("eval", "Evaluate a prompt and write the logits of every position",
                            [eval] { return RunEval(*eval); });
  AddEngineFlags(app, &eval->engine);
  auto* prompt = app->add_option("-p,--prompt", eval->prompt, "prompt text (BOS added as the model says)");
  auto* tokens = app->add_option("--tokens", eval->tokens, "comma-separated token ids, used as given");
  prompt->excludes(tokens);
  app->add_option("--logits-out", eval->logits_out, "write f32 logits [n_tokens][n_vocab] here");
  app->callback([app] {
    if (app->count("--prompt") + app->count("--tokens") == 0) {
      throw CLI::RequiredError("one of --prompt or --tokens");
    }
  });

  auto tok = std::make_shared<TokenizeFlags>();
  CLI::App* t = table.Add("tokenize", "Print the token ids of a text", [tok] { return RunTokenize(*tok); });
  t->add_option("-m,--model", tok->model_path, "GGUF model (or vocabulary) file")->required();
  t->add_option("-p,--prompt", tok->prompt, "text to tokenize")->required();
  t->add_flag("--no-special", tok->no_special, "do not add BOS/EOS");
  t->add_flag("--no-parse-special", tok->no_parse_special, "treat control-token text as plain text");
  t->add_flag("--pieces", tok->pieces, "print each id with its text");
}

}  // namespace cli
