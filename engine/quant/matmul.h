// Weight x activation products for the CPU backend.
//
// MatMul converts the activations to the weight type's dot-product format
// exactly as ggml's CPU backend does (act_convert.h), then runs the
// kernels of BestKernelLevel() (cpu_features.h) over tiles of 4 weight
// rows x up to 4 tokens, so each weight block is decoded once per tile
// and reused across tokens. Tokens are walked in chunks whose converted
// activations stay in L2 while the weight rows of a tile stay in L1.
// With many tokens (prefill) and a level that has them, 16-row panels
// replace the tiles: the rows are repacked once into a per-thread L1
// buffer and every token streams past them (kernels.h, PanelKernels).
//
// MatMulShared applies several weights to one input (q/k/v, gate/up): the
// activations are converted once per dot format instead of once per
// weight, and all products run in a single pool job whose threads pull
// (weight, row range) items from a shared counter, so a thread slowed by
// another process does not hold the others at a barrier per matmul.
//
// Threading: MatMul uses `pool` (may be null: runs on the caller) for one
// call at a time; a MatmulScratch belongs to one caller and must not be
// shared by concurrent MatMuls.
#pragma once

#include <cstdint>
#include <span>

#include "base/thread_pool.h"
#include "engine/quant/types.h"

namespace engine {

// A row-major 2-D weight tensor in the mmap.
struct WeightView {
  GgmlType type;
  const uint8_t* data;
  int64_t rows;  // output features (ne[1])
  int64_t cols;  // input features (ne[0]); row stride is RowBytes(type, cols)
};

// Reusable buffer for converted activations. Owned by the inference state;
// MatMul grows it when a call needs more (rarely, never shrinking), so
// steady-state calls do not allocate.
class MatmulScratch {
 public:
  MatmulScratch() = default;
  ~MatmulScratch();
  MatmulScratch(const MatmulScratch&) = delete;
  MatmulScratch& operator=(const MatmulScratch&) = delete;
  MatmulScratch(MatmulScratch&& other) noexcept;
  MatmulScratch& operator=(MatmulScratch&& other) noexcept;

  // A 64-byte aligned buffer of at least `bytes`; contents are undefined.
  uint8_t* Reserve(int64_t bytes);
  int64_t capacity() const { return capacity_; }
  // Allocations made so far (tests check that steady state adds none).
  int64_t allocations() const { return allocations_; }

 private:
  uint8_t* data_ = nullptr;
  int64_t capacity_ = 0;
  int64_t allocations_ = 0;
};

// y[t][r] = sum_c W[r][c] * x[t][c] for t < n_tokens.
// x: [n_tokens][cols] f32, y: [n_tokens][rows] f32 (must not alias x).
// w.type must be F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K and cols a
// multiple of its block size (the GGUF loader guarantees both; anything
// else is a programmer error).
void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, base::ThreadPool* pool,
            MatmulScratch* scratch);

// One product of a MatMulShared: y[t][r] = sum_c w[r][c] * x[t][c].
struct MatMulTarget {
  WeightView w;
  float* y;  // [n_tokens][w.rows], must not alias x or another target's y
};

struct SharedMatMul {
  const float* x = nullptr;  // [n_tokens][cols]
  int64_t n_tokens = 0;
  int64_t cols = 0;  // every target's w.cols
  std::span<const MatMulTarget> targets;  // at most kMaxSharedTargets
  // Optional: called on disjoint token ranges [t0, t1), possibly on
  // several threads at once, before rows t0..t1-1 of x are read; it must
  // fill those rows. Lets a row-wise op that produces the input (RMSNorm,
  // SwiGLU) run in the same parallel pass instead of serially before it.
  const base::FunctionRef<void(int64_t, int64_t)>* prepare = nullptr;
};
inline constexpr int kMaxSharedTargets = 4;

// Every target's product (same results as one MatMul per target).
void MatMulShared(const SharedMatMul& m, base::ThreadPool* pool, MatmulScratch* scratch);

}  // namespace engine
