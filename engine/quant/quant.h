// Row-level conversion between f32 and GGUF weight encodings.
//
// Threading: pure functions of their arguments; call from any thread.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "engine/quant/types.h"

namespace engine {

// Dequantizes n values (a multiple of the block size) of type t. Bit-exact
// with ggml's to_float. Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K,
// Q6_K (the compute_supported types); other types are a programmer error.
void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n);

// Quantizes n floats into the GGUF block layout of t (F32, F16, BF16, Q8_0,
// Q4_0, Q4_K, Q5_K, Q6_K), following ggml's reference quantizers
// (quantize_row_*_ref without an importance matrix), so the output loads in
// llama.cpp. Errors: a type outside that list, or n not a multiple of the
// block size.
base::Status QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n);

}  // namespace engine
