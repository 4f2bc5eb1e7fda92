// kernels/: the CUDA backend's device code, behind a host-only header.
//
// Nothing here names a CUDA type, so every build (with or without nvcc)
// compiles code that includes it. When longhaul was built without CUDA, or
// no driver or device is present, ProbeDevices() says so and callers stay
// on the CPU.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace kernels {

struct DeviceInfo {
  int index = 0;
  std::string name;
  size_t total_memory_bytes = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
};

// True when this binary contains the CUDA backend.
bool BuiltWithCuda();

// The usable CUDA devices. An empty list (not an error) when the binary has
// no CUDA backend, no driver is loaded (cudaErrorInsufficientDriver, 35) or
// no device is present; `why_none` then says which.
std::vector<DeviceInfo> ProbeDevices(std::string* why_none);

}  // namespace kernels
