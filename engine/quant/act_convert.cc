#include "engine/quant/act_convert.h"

#include <cmath>
#include <cstring>

#include "base/log.h"
#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"

namespace engine {
namespace {

// rint (ties to even) for |v| <= 127, without a libm call: adding 1.5*2^23
// leaves no fraction bits, so the FPU's round-to-nearest-even does it.
// Garbage-in safe: NaN gives 0, never UB.
inline int RintToQ8(float v) {
  const float r = (v + 12582912.f) - 12582912.f;
  if (r >= 127.0f) return 127;
  if (r <= -127.0f) return -127;
  return r == r ? static_cast<int>(r) : 0;
}

void QuantizeQ8_0Row(const float* x, int64_t cols, uint8_t* dst) {
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(cols);
  auto* qs = reinterpret_cast<int8_t*>(dst);
  auto* d = reinterpret_cast<float*>(dst + lay.d_offset);
  auto* nsum = reinterpret_cast<int32_t*>(dst + lay.nsum_offset);
  for (int64_t b = 0; b < lay.nb; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) {
      const float ax = std::fabs(xb[j]);
      amax = ax > amax ? ax : amax;
    }
    d[b] = F16ToF32(F32ToF16(amax / 127.f));
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < 32; ++j) {
      const int q = RintToQ8(xb[j] * id);
      qs[b * 32 + j] = static_cast<int8_t>(q);
      sum += q;
    }
    nsum[b] = -sum;
  }
}

void QuantizeQ8KRow(const float* x, int64_t cols, uint8_t* dst) {
  auto* blocks = reinterpret_cast<ActQ8K*>(dst);
  for (int64_t b = 0; b < cols / 256; ++b) {
    const float* xb = x + b * 256;
    ActQ8K& y = blocks[b];
    std::memset(&y, 0, sizeof(y));
    float max = 0;
    float amax = 0;
    for (int j = 0; j < 256; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax == 0.0f || !std::isfinite(amax)) continue;  // d = 0: the block contributes nothing
    const float iscale = -127.f / max;
    for (int j = 0; j < 256; ++j) y.qs[j] = static_cast<int8_t>(RintToQ8(iscale * xb[j]));
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += y.qs[g * 16 + i];
      y.bsums[g] = static_cast<int16_t>(sum);
    }
    y.d = 1 / iscale;
  }
}

}  // namespace

int64_t ActRowBytes(GgmlType weight_type, int64_t cols) {
  switch (weight_type) {
    case GgmlType::kF32:
    case GgmlType::kF16: return AlignUp64(cols * 4);
    case GgmlType::kBF16: return AlignUp64(cols * 2);
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0: return ActQ8_0LayoutFor(cols).row_bytes;
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: return cols / 256 * static_cast<int64_t>(sizeof(ActQ8K));
    default: break;
  }
  CHECK(false) << "no activation format for weight type " << TraitsOf(weight_type).name;
  return 0;
}

void ConvertActivationRow(GgmlType weight_type, const float* x, int64_t cols, uint8_t* dst) {
  switch (weight_type) {
    case GgmlType::kF32:
      std::memcpy(dst, x, static_cast<size_t>(cols) * 4);
      return;
    case GgmlType::kF16: {
      auto* out = reinterpret_cast<float*>(dst);
      for (int64_t i = 0; i < cols; ++i) out[i] = RoundToF16(x[i]);
      return;
    }
    case GgmlType::kBF16: {
      auto* out = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < cols; ++i) out[i] = F32ToBF16(x[i]);
      return;
    }
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0: return QuantizeQ8_0Row(x, cols, dst);
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: return QuantizeQ8KRow(x, cols, dst);
    default: break;
  }
  CHECK(false) << "no activation format for weight type " << TraitsOf(weight_type).name;
}

}  // namespace engine
