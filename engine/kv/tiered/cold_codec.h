// The cold store's codec: one KV head's slice of a closed block.
//
// bits = 4 (default):
//   K, pre-RoPE, quantized per channel over the block's tokens (KIVI-style:
//   keys have per-channel outliers, so each channel gets its own range):
//     k_min  fp16 [d]        rounded down
//     k_step fp16 [d]        (max - k_min) / 15, rounded up
//     k_code u4   [T][d]     byte i of a row: channel i (low nibble) and
//                            channel i + d/2 (high nibble), so decoding is
//                            two contiguous, vectorizable passes
//   V quantized per token in groups of g = min(32, d) channels:
//     v_min  fp16 [T][d/g], v_step fp16 [T][d/g]   (interleaved min, step)
//     v_code u4   [T][d]     per group as K: byte i holds channels i, i + g/2
//   Error bound: |x - x'| <= step / 2 for every element, where step is the
//   stored step of its channel (K) or group (V): min is rounded down and
//   min + 15 step up, so the range is covered and rounding is to nearest.
// bits = 16: K pre-RoPE fp16 [T][d], V fp16 [T][d] (the "fp16 cold" ablation).
//
// Inputs are clamped to the fp16 range (|x| <= 65504). Threading: pure.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine::kv {

// The cache rejects wider heads (scratch arrays are sized by it).
inline constexpr int kMaxHeadDim = 256;

struct ColdLayout {
  int tokens = 0;    // T
  int head_dim = 0;  // d
  int bits = 4;
  int v_group = 0;   // channels per V scale group
  size_t k_bytes = 0;
  size_t v_bytes = 0;
  size_t head_bytes() const { return k_bytes + v_bytes; }

  static ColdLayout For(int tokens, int head_dim, int bits);
};

// k_pre, v: [T][d] f32. dst: [layout.head_bytes()].
void EncodeColdHead(const ColdLayout& layout, const float* k_pre, const float* v, uint8_t* dst);

// Rows [row0, row0 + n) of one head slice, to f32. k_out, v_out: [n][d]
// (either may be null to skip it).
void DecodeColdRows(const ColdLayout& layout, const uint8_t* src, int row0, int n, float* k_out, float* v_out);

// The largest |x - x'| the codec may produce for element (row, ch) of K or V
// (for tests and for the fidelity report).
float ColdKStep(const ColdLayout& layout, const uint8_t* src, int ch);
float ColdVStep(const ColdLayout& layout, const uint8_t* src, int row, int ch);

}  // namespace engine::kv
