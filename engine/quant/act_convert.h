// Converts f32 activation rows into the dot-product format of a weight
// type, with exactly the roundings ggml's CPU backend applies (testdata
// README section 7):
//   F32  -> unchanged (f32)
//   F16  -> f32 values rounded through fp16 (RNE)
//   BF16 -> bf16 bits (RNE, uint16)
//   Q8_0, Q4_0 -> ActQ8_0 rows: per 32 values amax, d = fp16(amax/127),
//                 q = rint(x * (127/amax)) (ties to even)
//   Q4_K, Q5_K, Q6_K -> ActQ8K blocks: m = the value of largest |x|,
//                 iscale = -127/m, q = min(127, rint(iscale*x)), d = 1/iscale
// The result does not depend on the kernel level. Threading: pure.
#pragma once

#include <cstdint>

#include "engine/quant/types.h"

namespace engine {

// Bytes one converted row of `cols` values takes (a multiple of 64).
int64_t ActRowBytes(GgmlType weight_type, int64_t cols);

// Converts one row; dst must hold ActRowBytes(weight_type, cols) bytes and
// be 64-byte aligned. cols must be a multiple of the type's block size.
void ConvertActivationRow(GgmlType weight_type, const float* x, int64_t cols, uint8_t* dst);

}  // namespace engine
