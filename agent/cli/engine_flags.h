// Flags shared by the commands that run a model, and the code that turns
// them into an engine::Model and engine::Context.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "base/status.h"
#include "engine/engine.h"

namespace cli {

struct EngineFlags {
  std::string model_path;
  int threads = 0;        // 0: all hardware threads
  int64_t ctx = 0;        // 0: the model's training context, capped at 4096
  int64_t batch = 256;
  std::string kv_type = "f16";
};

// Adds -m/--model, --threads, --ctx, --batch and --kv-type to `app`.
void AddEngineFlags(CLI::App* app, EngineFlags* flags);

base::Result<engine::Model> LoadModel(const EngineFlags& flags);
base::Result<std::unique_ptr<engine::Context>> MakeContext(const engine::Model& model, const EngineFlags& flags);

}  // namespace cli
