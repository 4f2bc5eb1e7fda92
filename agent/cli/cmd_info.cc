// `longhaul devices`: what compute this build and machine offer.
#include <iostream>

#include "agent/cli/command.h"
#include "engine/engine.h"

namespace cli {

void RegisterInfoCommands(CommandTable& table) {
  table.Add("devices", "List the compute backends and CUDA devices available", [] {
    for (const engine::BackendInfo& b : engine::ListBackends()) {
      std::cout << b.name << ": " << (b.available ? "" : "unavailable: ") << b.description << "\n";
    }
    return kExitOk;
  });
}

}  // namespace cli
