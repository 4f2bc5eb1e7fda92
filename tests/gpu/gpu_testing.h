// Shared by the [gpu] tests: a device to run on, or a loud skip.
//
// Every [gpu] test compares the CUDA backend with the CPU backend, the
// test oracle (DESIGN.md section 3.3). On machines without a usable
// device (or builds without CUDA) each one says why and passes without
// checking anything; tests/gpu/run.sh runs them on a lent GPU.
#pragma once

#include <memory>
#include <string>

#include "kernels/gpu.h"
#include "kernels/kernels.h"

namespace testing {

// Device 0, or null with `why` set.
std::unique_ptr<kernels::Gpu> OpenTestGpu(std::string* why);

}  // namespace testing

#define LH_REQUIRE_GPU(var)                                    \
  std::string var##_why;                                       \
  std::unique_ptr<kernels::Gpu> var = ::testing::OpenTestGpu(&var##_why); \
  if (!var) {                                                  \
    WARN("SKIPPED [gpu]: " << var##_why);                      \
    return;                                                    \
  }
