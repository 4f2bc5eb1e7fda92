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

// Panel kernels, for prefill: kPanelRows weight rows are first repacked
// ("packed") so that SIMD lane r holds row r; a product then broadcasts a
// few activation bytes to every lane and multiplies 16 rows at once, with
// no horizontal sums and one scale step per block for 16 rows. Packing
// costs about as much as one token's product, so MatMul uses panels only
// when many tokens share them (kernels_avx512_panel.inc has the layouts).
inline constexpr int kPanelRows = 16;
inline constexpr int kPanelTokens = 8;

struct PanelArgs {
  const uint8_t* panel;  // from PanelKernels::pack, 64-byte aligned
  const uint8_t* act;    // token t starts at act + t * act_stride
  int64_t act_stride;    // bytes
  int64_t cols;          // values per row
  float* y;              // result (r, t) goes to y[t * y_stride + r]
  int64_t y_stride;      // floats
  int nt;                // 1..kPanelTokens
};

struct PanelKernels {
  // Repacks kPanelRows rows (row r at w + r * w_stride) into `panel`.
  void (*pack)(const uint8_t* w, int64_t w_stride, int64_t cols, uint8_t* panel);
  void (*run)(const PanelArgs&);
  // Bytes `pack` writes for one panel of `cols` columns (a multiple of 64).
  int64_t (*bytes)(int64_t cols);
  // Column counts the panel layout takes (panel_f/panel/panel_k.inc).
  int64_t col_multiple;
  // The tile for rows left over after the last whole panel; it reads the
  // same activation format as `run`.
  TileFn rest;
};

// Panel kernels by weight type; a null entry means "use the tiles".
struct PanelTable {
  const PanelKernels* f32;
  const PanelKernels* f16;
  const PanelKernels* bf16;  // reads bf16-rounded activations widened to f32
  const PanelKernels* q8_0;
  const PanelKernels* q4_0;
  const PanelKernels* q4_k;
  const PanelKernels* q5_k;
  const PanelKernels* q6_k;
};

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
  void (*swiglu_f32)(const float*, const float*, int64_t, float*);
  // act_convert.h's ConvertActivationRow; SIMD versions give identical bytes.
  void (*convert_act)(GgmlType, const float*, int64_t, uint8_t*);
  const PanelTable* panels;  // null where the level has none
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

inline const PanelKernels* PanelFor(const KernelTable& k, GgmlType t) {
  if (k.panels == nullptr) return nullptr;
  switch (t) {
    case GgmlType::kF32: return k.panels->f32;
    case GgmlType::kF16: return k.panels->f16;
    case GgmlType::kBF16: return k.panels->bf16;
    case GgmlType::kQ8_0: return k.panels->q8_0;
    case GgmlType::kQ4_0: return k.panels->q4_0;
    case GgmlType::kQ4_K: return k.panels->q4_k;
    case GgmlType::kQ5_K: return k.panels->q5_k;
    case GgmlType::kQ6_K: return k.panels->q6_k;
    default: return nullptr;
  }
}

}  // namespace engine
