#include "agent/cli/engine_flags.h"

#include <algorithm>

namespace cli {

void AddEngineFlags(CLI::App* app, EngineFlags* flags, bool model_required) {
  CLI::Option* model = app->add_option("-m,--model", flags->model_path, "GGUF model file");
  if (model_required) model->required();
  app->add_option("-t,--threads", flags->threads, "CPU threads (0: all)")->check(CLI::NonNegativeNumber);
  app->add_option("-c,--ctx", flags->ctx, "context size in tokens (0: model's, capped at 4096)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("-b,--batch", flags->batch, "prefill chunk size in tokens")->check(CLI::PositiveNumber);
  app->add_option("--backend", flags->backend,
                  "where the model runs: auto (a CUDA device when one is usable, else the CPU), cpu, cuda, "
                  "cuda:<n>")
      ->check([](const std::string& value) -> std::string {
        base::Status s = engine::ValidateBackendName(value);
        return s.ok() ? "" : s.message();
      });
  app->add_option("--kv-type", flags->kv_type, "KV cache element type (dense cache)")
      ->check(CLI::IsMember({"f16", "f32"}));
  app->add_option("--kv", flags->kv,
                  "KV cache: auto, dense, or tiered[:key=value,...] (keys as the --kv-* flags, e.g. "
                  "tiered:window=2048,topk=256)")
      ->check([](const std::string& value) -> std::string {
        if (value == "auto") return "";
        auto policy = engine::ParseKvPolicy(value);
        return policy.ok() ? "" : policy.status().message();
      });
  // One flag per policy key; each one given is applied after --kv.
  struct KvFlag {
    const char* key;
    const char* help;
  };
  static constexpr KvFlag kKvFlags[] = {
      {"sink", "tiered: first positions kept exactly"},
      {"window", "tiered: most recent positions kept exactly (W)"},
      {"unit", "tiered: scoring granularity in tokens"},
      {"block", "tiered: storage block in tokens (cold store, checkpoints)"},
      {"topk", "tiered: units attended exactly per (chunk, KV head)"},
      {"rerank", "tiered: shortlist factor re-scored on 4-bit keys (0: off)"},
      {"prefill_scale", "tiered: selection budget multiplier for prefill chunks"},
      {"summary", "tiered: tokens per summary row (0: no summary tier)"},
      {"bits", "tiered: cold store bits (4 or 16)"},
      {"index_bits", "tiered: selection index bits (4 or 8)"},
      {"dense_layers", "tiered: the first N layers stay exact up to --kv-dense-window"},
      {"dense_window", "tiered: exact window of the dense layers"},
      {"trained_ctx", "tiered: override the model's trained context"},
      {"far_cap", "tiered: largest relative distance of far rows (0: 3/4 of trained, -1: off)"},
  };
  for (const KvFlag& f : kKvFlags) {
    std::string name = std::string("--kv-") + f.key;
    std::replace(name.begin(), name.end(), '_', '-');
    const std::string key = f.key;
    app->add_option_function<std::string>(
           name,
           [flags, key, name](const std::string& value) {
             engine::KvPolicy scratch;  // catches bad numbers at parse time
             base::Status s = engine::SetKvPolicyOption(&scratch, key, value);
             if (!s.ok()) throw CLI::ValidationError(name, s.message());
             flags->kv_options.emplace_back(key, value);
           },
           f.help)
        ->type_name("N");
  }
}

base::Result<engine::KvPolicy> KvPolicyFromFlags(const EngineFlags& flags, int64_t n_ctx) {
  const bool auto_kind = flags.kv == "auto";
  ASSIGN_OR_RETURN(engine::KvPolicy policy, engine::ParseKvPolicy(auto_kind ? "tiered" : flags.kv));
  for (const auto& [key, value] : flags.kv_options) {
    RETURN_IF_ERROR(engine::SetKvPolicyOption(&policy, key, value));
  }
  RETURN_IF_ERROR(engine::ValidateKvPolicy(policy));
  // The tiered cache keeps its exact tiers in fp16; --kv-type f32 (as the
  // llama.cpp reference configs use) is a dense-cache setting.
  if (flags.kv_type == "f32") {
    if (!auto_kind && policy.kind == engine::KvPolicy::Kind::kTiered) {
      return base::InvalidArgument("--kv-type f32 applies to the dense cache; the tiered cache stores fp16");
    }
    if (auto_kind) policy.kind = engine::KvPolicy::Kind::kDense;
  }
  if (auto_kind && policy.kind == engine::KvPolicy::Kind::kTiered) {
    // Below the exact budget the tiered cache attends every position
    // exactly, so dense gives the same result with less machinery.
    const engine::TieredParams p = policy.tiered;
    const int64_t exact = static_cast<int64_t>(p.n_sink) + p.window;
    if (n_ctx <= exact) policy.kind = engine::KvPolicy::Kind::kDense;
  }
  return policy;
}

base::Result<engine::Model> LoadModel(const EngineFlags& flags) { return engine::Model::Load(flags.model_path); }

base::Result<std::unique_ptr<engine::Context>> MakeContext(const engine::Model& model, const EngineFlags& flags) {
  engine::ContextOptions options;
  options.n_ctx = flags.ctx > 0 ? flags.ctx : std::min<int64_t>(model.Summary().n_ctx_train, 4096);
  options.n_threads = flags.threads;
  options.n_batch = flags.batch;
  options.kv_type = *engine::ParseKvType(flags.kv_type);  // validated by CLI11
  options.backend = flags.backend;
  ASSIGN_OR_RETURN(options.kv_policy, KvPolicyFromFlags(flags, options.n_ctx));
  return engine::Context::Create(model, options);
}

}  // namespace cli
