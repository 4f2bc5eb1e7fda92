// Device discovery for the CUDA backend.
#include <cuda_runtime.h>

#include "kernels/kernels.h"

namespace kernels {

bool BuiltWithCuda() { return true; }

std::vector<DeviceInfo> ProbeDevices(std::string* why_none) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // 35 (insufficient driver) and 100 (no device) both mean "use the CPU".
    if (why_none) *why_none = std::string("no usable CUDA device: ") + cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error
    return {};
  }
  std::vector<DeviceInfo> devices;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    devices.push_back({i, prop.name, prop.totalGlobalMem, prop.major, prop.minor});
  }
  if (devices.empty() && why_none) *why_none = "no CUDA device present";
  return devices;
}

}  // namespace kernels
