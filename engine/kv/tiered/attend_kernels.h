// Vector kernels for the tiered cache's final softmax (attend_tile.cc),
// compiled once per instruction set and picked once per call: key rows are
// laid out transposed in blocks of kRowBlock, so a query's scores against
// a block are d broadcast-multiply-adds with no horizontal sums.
//
// Threading: pure functions.
#pragma once

#include <cstdint>

namespace engine::kv {

inline constexpr int kRowBlock = 16;

// Queries handled together: each key or value row loaded serves all of
// them, which keeps the kernels compute-bound rather than cache-bound.
inline constexpr int kQueryBatch = 4;

struct AttendKernels {
  // out[j][r] = scale * q[j] . K[r], j < kQueryBatch, for the rows of blocks
  // [0, n_blocks) of kt, laid out kt[block][d][kRowBlock].
  void (*score)(const float* const* q, const float* kt, int d, int64_t n_blocks, float scale, float* const* out);
  // p[i] = exp(p[i] - max) for i < n (p[i] = -inf gives 0); returns the sum.
  float (*exp_sum)(float* p, int64_t n, float max);
  // out[j][c] += sum over r < n of p[j][r] * v[r][c], c < d, j < kQueryBatch.
  void (*accumulate)(const float* const* p, const float* v, int d, int64_t n, float* const* out);
  // dst[i] = fp16 src[i] as f32, i < n (F16C where the level has it).
  void (*f16_to_f32)(const uint16_t* src, float* dst, int n);
};

// The best implementation this CPU runs (engine/quant/cpu_features.h).
const AttendKernels& BestAttendKernels();

}  // namespace engine::kv
