// The dense cache's device tier: every row, in the host cache's element
// type, per layer [n_head_kv][capacity][head_dim] (device_kv.h).
#pragma once

#include <memory>

#include "base/status.h"
#include "engine/cuda/device_kv.h"

namespace engine::cuda {

base::Result<std::unique_ptr<DeviceKv>> NewDeviceDenseKv(kernels::Gpu* gpu, std::unique_ptr<AttentionCache> host);

}  // namespace engine::cuda
