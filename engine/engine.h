// engine/: the public face of the inference engine.
#pragma once

#include <string>
#include <vector>

namespace engine {

// One compute backend this binary and machine can use ("cpu", "cuda:0").
struct BackendInfo {
  std::string name;
  std::string description;
  bool available = false;
};

// Lists the CPU backend (always available) and each CUDA device, or one
// unavailable "cuda" entry that says why there is none.
std::vector<BackendInfo> ListBackends();

}  // namespace engine
