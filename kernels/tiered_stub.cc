// The CPU-only build: tiered.h's ops without a device (Gpu::Open already
// fails there, so these are unreachable in practice).
#include "kernels/tiered.h"

namespace kernels {

base::Status TieredStore(Gpu& /*gpu*/, const TieredStoreArgs& /*args*/) {
  return base::Unsupported("this build has no CUDA: no tiered KV device tiers");
}

base::Status TieredAttend(Gpu& /*gpu*/, const TieredAttendArgs& /*args*/) {
  return base::Unsupported("this build has no CUDA: no tiered KV device tiers");
}

}  // namespace kernels
