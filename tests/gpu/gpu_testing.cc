#include "tests/gpu/gpu_testing.h"

namespace testing {

std::unique_ptr<kernels::Gpu> OpenTestGpu(std::string* why) {
  std::vector<kernels::DeviceInfo> devices = kernels::ProbeDevices(why);
  if (devices.empty()) return nullptr;
  auto gpu = kernels::Gpu::Open(devices.front().index);
  if (!gpu.ok()) {
    *why = gpu.status().ToString();
    return nullptr;
  }
  return std::move(*gpu);
}

}  // namespace testing
