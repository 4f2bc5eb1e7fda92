#include "engine/engine.h"
#include "kernels/kernels.h"

namespace engine {

std::vector<BackendInfo> ListBackends() {
  std::vector<BackendInfo> out;
  out.push_back({"cpu", "portable CPU backend", true});
  std::string why_none;
  for (const kernels::DeviceInfo& d : kernels::ProbeDevices(&why_none)) {
    out.push_back({"cuda:" + std::to_string(d.index),
                   d.name + ", sm_" + std::to_string(d.compute_capability_major) +
                       std::to_string(d.compute_capability_minor) + ", " +
                       std::to_string(d.total_memory_bytes >> 20) + " MiB",
                   true});
  }
  if (out.size() == 1) out.push_back({"cuda", why_none, false});
  return out;
}

}  // namespace engine
