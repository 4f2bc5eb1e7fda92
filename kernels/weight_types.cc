// Block sizes of the weight formats (ops.h), for every build.
#include "kernels/ops.h"

namespace kernels {

int WeightBlockValues(WeightType type) {
  switch (type) {
    case WeightType::kF32:
    case WeightType::kF16:
    case WeightType::kBF16: return 1;
    case WeightType::kQ8_0:
    case WeightType::kQ4_0: return 32;
    case WeightType::kQ4_K:
    case WeightType::kQ5_K:
    case WeightType::kQ6_K: return 256;
  }
  return 1;
}

int WeightBlockBytes(WeightType type) {
  switch (type) {
    case WeightType::kF32: return 4;
    case WeightType::kF16:
    case WeightType::kBF16: return 2;
    case WeightType::kQ8_0: return 34;   // fp16 scale + 32 int8
    case WeightType::kQ4_0: return 18;   // fp16 scale + 32 nibbles
    case WeightType::kQ4_K: return 144;  // d, dmin, 12 scale bytes, 128 nibble bytes
    case WeightType::kQ5_K: return 176;  // + 32 high-bit bytes
    case WeightType::kQ6_K: return 210;  // 128 low, 64 high, 16 scales, fp16 d
  }
  return 4;
}

}  // namespace kernels
