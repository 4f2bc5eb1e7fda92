// QuantizeRow: f32 -> GGUF encodings, following ggml's reference
// quantizers (quantize_row_*_ref) operation for operation, so the bytes
// match llama-quantize without an importance matrix. The K-quant
// searches live in quantize_k.cc.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"
#include "engine/quant/quant.h"
#include "engine/quant/quantize_k.h"

namespace engine {
namespace {

// float -> int truncating toward zero like a C cast, but defined for every
// input: ggml's casts overflow (UB) when a block's scale is subnormal.
inline int TruncToInt(float v, int lo, int hi) {
  if (!(v > static_cast<float>(lo))) return v == v ? lo : 0;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(v);
}

void QuantizeQ8_0(const float* x, BlockQ8_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[i * 32 + j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    for (int j = 0; j < 32; ++j) {
      y[i].qs[j] = static_cast<int8_t>(TruncToInt(std::round(x[i * 32 + j] * id), -128, 127));
    }
  }
}

void QuantizeQ4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float amax = 0.0f;
    float max = 0.0f;  // the value with the largest magnitude, signed
    for (int j = 0; j < 32; ++j) {
      const float v = x[i * 32 + j];
      if (amax < std::fabs(v)) {
        amax = std::fabs(v);
        max = v;
      }
    }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    for (int j = 0; j < 16; ++j) {
      const float x0 = x[i * 32 + j] * id;
      const float x1 = x[i * 32 + 16 + j] * id;
      const int xi0 = std::min(15, TruncToInt(x0 + 8.5f, -128, 127));
      const int xi1 = std::min(15, TruncToInt(x1 + 8.5f, -128, 127));
      y[i].qs[j] = static_cast<uint8_t>(xi0 | (xi1 << 4));
    }
  }
}

}  // namespace

base::Status QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n) {
  const std::optional<GgmlTypeTraits> tr = LookupGgmlType(static_cast<uint32_t>(t));
  if (!tr || !tr->compute_supported) {
    return base::Unsupported("QuantizeRow: no quantizer for type " +
                             std::to_string(static_cast<uint32_t>(t)));
  }
  if (n < 0 || n % tr->block_size != 0) {
    return base::InvalidArgument("QuantizeRow: " + std::to_string(n) + " values is not a multiple of " +
                                 std::string(tr->name) + "'s block size " +
                                 std::to_string(tr->block_size));
  }
  const int64_t nb = n / tr->block_size;
  if (t == GgmlType::kF32) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
    return base::Status::Ok();
  }
  if (t == GgmlType::kF16 || t == GgmlType::kBF16) {
    auto* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = t == GgmlType::kF16 ? F32ToF16(src[i]) : F32ToBF16(src[i]);
    return base::Status::Ok();
  }
  // The block quantizers' integer conversions are only defined for finite
  // input; a NaN or inf would make every value of its block meaningless.
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(src[i])) {
      return base::InvalidArgument("QuantizeRow: value " + std::to_string(i) + " is not finite");
    }
  }
  switch (t) {
    case GgmlType::kQ8_0: QuantizeQ8_0(src, static_cast<BlockQ8_0*>(dst), nb); break;
    case GgmlType::kQ4_0: QuantizeQ4_0(src, static_cast<BlockQ4_0*>(dst), nb); break;
    case GgmlType::kQ4_K: QuantizeQ4K(src, static_cast<BlockQ4K*>(dst), nb); break;
    case GgmlType::kQ5_K: QuantizeQ5K(src, static_cast<BlockQ5K*>(dst), nb); break;
    case GgmlType::kQ6_K: QuantizeQ6K(src, static_cast<BlockQ6K*>(dst), nb); break;
    default: return base::Unsupported("QuantizeRow: no quantizer for " + std::string(tr->name));
  }
  return base::Status::Ok();
}

}  // namespace engine
