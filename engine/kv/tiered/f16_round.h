// fp16 rounding toward -inf / +inf, for quantization ranges that must
// cover their data (cold store ranges, envelope scales).
#pragma once

#include <cstdint>

#include "engine/quant/fp16.h"

namespace engine::kv {

inline constexpr float kF16Max = 65504.0f;

inline float ClampF16(float x) { return x > kF16Max ? kF16Max : (x < -kF16Max ? -kF16Max : x); }

// The next fp16 value toward +inf / -inf from a finite half `h`.
inline uint16_t F16NextUp(uint16_t h) {
  if (h == 0x8000u) return 0x0001u;
  return (h & 0x8000u) ? static_cast<uint16_t>(h - 1) : static_cast<uint16_t>(h + 1);
}
inline uint16_t F16NextDown(uint16_t h) {
  if (h == 0x0000u) return 0x8001u;
  return (h & 0x8000u) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h - 1);
}

// The largest fp16 <= v and the smallest fp16 >= v (v finite, |v| <= kF16Max).
inline uint16_t F16Floor(float v) {
  uint16_t h = F32ToF16(v);
  if (F16ToF32(h) > v) h = F16NextDown(h);
  return h;
}
inline uint16_t F16Ceil(float v) {
  uint16_t h = F32ToF16(v);
  if (F16ToF32(h) < v) h = F16NextUp(h);
  return h;
}

}  // namespace engine::kv
