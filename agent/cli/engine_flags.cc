#include "agent/cli/engine_flags.h"

#include <algorithm>

namespace cli {

void AddEngineFlags(CLI::App* app, EngineFlags* flags) {
  app->add_option("-m,--model", flags->model_path, "GGUF model file")->required();
  app->add_option("-t,--threads", flags->threads, "CPU threads (0: all)")->check(CLI::NonNegativeNumber);
  app->add_option("-c,--ctx", flags->ctx, "context size in tokens (0: model's, capped at 4096)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("-b,--batch", flags->batch, "prefill chunk size in tokens")->check(CLI::PositiveNumber);
  app->add_option("--kv-type", flags->kv_type, "KV cache element type")->check(CLI::IsMember({"f16", "f32"}));
}

base::Result<engine::Model> LoadModel(const EngineFlags& flags) { return engine::Model::Load(flags.model_path); }

base::Result<std::unique_ptr<engine::Context>> MakeContext(const engine::Model& model, const EngineFlags& flags) {
  engine::ContextOptions options;
  options.n_ctx = flags.ctx > 0 ? flags.ctx : std::min<int64_t>(model.Summary().n_ctx_train, 4096);
  options.n_threads = flags.threads;
  options.n_batch = flags.batch;
  options.kv_type = *engine::ParseKvType(flags.kv_type);  // validated by CLI11
  return engine::Context::Create(model, options);
}

}  // namespace cli
