// Kernel tables: one per KernelLevel, each a set of plain function
// pointers. Private to engine/quant; MatMul and the vec helpers pick the
// table of BestKernelLevel() per call.
//
// A tile kernel computes y[t][r] = dot(W row r, activation row t) for
// nr <= kTileRows rows and nt <= kTileTokens tokens, reading each weight
// block once and reusing it across the tile's tokens. Activations are
// already in the weight type's dot-product format (see act_convert.h).
#pragma once

#include <cstdint>

#include "engine/quant/cpu_features.h"
#include "engine/quant/types.h"

namespace engine {

inline constexpr int kTileRows = 4;
inline constexpr int kTileTokens = 4;

struct TileArgs {
  const uint8_t* w;    // row r starts at w + r * w_stride
  int64_t w_stride;    // bytes
  const uint8_t* act;  // token t starts at act + t * act_stride
  int64_t act_stride;  // bytes
  int64_t cols;        // values per row
  float* y;            // result (r, t) goes to y[t * y_stride + r]
  int64_t y_stride;    // floats
  int nr;              // 1..kTileRows
  int nt;              // 1..kTileTokens
};
using TileFn = void (*)(const TileArgs&);

struct KernelTable {
  KernelLevel level;
  TileFn f32;
  TileFn f16;   // activations: f32 values rounded through fp16
  TileFn bf16;  // activations: bf16 bits (uint16)
  TileFn q8_0;  // activations: ActQ8_0 rows
  TileFn q4_0;  // activations: ActQ8_0 rows
  TileFn q4_k;  // activations: ActQ8K blocks
  TileFn q5_k;
  TileFn q6_k;
  float (*dot_f32)(const float*, const float*, int64_t);
  float (*dot_f16_f32)(const uint16_t*, const float*, int64_t);
  void (*axpy_f32)(float, const float*, float*, int64_t);
  void (*axpy_f16)(float, const uint16_t*, float*, int64_t);
  // act_convert.h's ConvertActivationRow; SIMD versions give identical bytes.
  void (*convert_act)(GgmlType, const float*, int64_t, uint8_t*);
};

const KernelTable& ScalarKernels();
// Null when the binary was built without that family (non-x86).
const KernelTable* Avx2Kernels();
const KernelTable* Avx512Kernels();
const KernelTable* Avx512VnniKernels();

// The table for BestKernelLevel().
const KernelTable& ActiveKernels();

inline TileFn TileFor(const KernelTable& k, GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return k.f32;
    case GgmlType::kF16: return k.f16;
    case GgmlType::kBF16: return k.bf16;
    case GgmlType::kQ8_0: return k.q8_0;
    case GgmlType::kQ4_0: return k.q4_0;
    case GgmlType::kQ4_K: return k.q4_k;
    case GgmlType::kQ5_K: return k.q5_k;
    case GgmlType::kQ6_K: return k.q6_k;
    default: return nullptr;
  }
}

}  // namespace engine
