// Flags shared by the commands that run a model, and the code that turns
// them into an engine::Model and engine::Context.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"

namespace cli {

struct EngineFlags {
  std::string model_path;
  int threads = 0;        // 0: all hardware threads
  int64_t ctx = 0;        // 0: the model's training context, capped at 4096
  int64_t batch = 256;
  std::string kv_type = "f16";
  // engine::ContextOptions::backend: auto, cpu, cuda or cuda:<n>.
  std::string backend = "auto";
  // KV policy: "auto" (dense while the context fits the tiered policy's
  // exact budget, where the two are equal; tiered beyond), "dense", or
  // "tiered[:key=value,...]" (engine/kv/policy.h).
  std::string kv = "auto";
  // --kv-<key> VALUE overrides, applied after --kv, in KvPolicy key names.
  std::vector<std::pair<std::string, std::string>> kv_options;
};

// Adds -m/--model, --threads, --ctx, --batch, --backend, --kv-type, --kv and the
// --kv-<parameter> flags to `app`.
// Without model_required, -m may be left out (the command picks a default).
void AddEngineFlags(CLI::App* app, EngineFlags* flags, bool model_required = true);

base::Result<engine::Model> LoadModel(const EngineFlags& flags);
// The KV policy the flags ask for, for a context of n_ctx positions.
base::Result<engine::KvPolicy> KvPolicyFromFlags(const EngineFlags& flags, int64_t n_ctx);

base::Result<std::unique_ptr<engine::Context>> MakeContext(const engine::Model& model, const EngineFlags& flags);

}  // namespace cli
