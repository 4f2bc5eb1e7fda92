// The CPU-only build: no CUDA backend was compiled in.
#include "kernels/kernels.h"

namespace kernels {

bool BuiltWithCuda() { return false; }

std::vector<DeviceInfo> ProbeDevices(std::string* why_none) {
  if (why_none) *why_none = "this longhaul was built without CUDA";
  return {};
}

}  // namespace kernels
