// The tiered cache's device tiers (device_kv.h).
#pragma once

#include <memory>

#include "base/status.h"
#include "engine/cuda/device_kv.h"
#include "engine/kv/tiered/tiered_cache.h"

namespace engine::cuda {

base::Result<std::unique_ptr<DeviceKv>> NewDeviceTieredKv(kernels::Gpu* gpu, std::unique_ptr<kv::TieredCache> host);

}  // namespace engine::cuda
