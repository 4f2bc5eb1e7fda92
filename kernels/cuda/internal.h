// What the .cu files share: CUDA error conversion, the stream of a Gpu,
// and the ops that other ops call. Included only by .cu files.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "base/status.h"
#include "kernels/gpu.h"
#include "kernels/ops.h"

namespace kernels {

// Ok for cudaSuccess; otherwise Internal("CUDA <what>: <error string>").
base::Status CudaStatus(cudaError_t err, const char* what);

// The Gpu's stream, with its device made current: every launch goes
// through here, so a launch never meets another device's stream.
inline cudaStream_t StreamOf(const Gpu& gpu) {
  gpu.MakeCurrent();
  return static_cast<cudaStream_t>(gpu.stream());
}

// Blocks of `threads` covering n items, for 1-D launches.
inline unsigned BlocksFor(int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

// Blocks of 256 threads for a grid-stride loop over n items: one item a
// thread, capped at 65535 blocks (the loop covers the rest).
inline unsigned GridStrideBlocks(int64_t n) {
  const int64_t blocks = (n + 255) / 256;
  return static_cast<unsigned>(blocks < 65535 ? blocks : 65535);
}

// Alignment block_decode.h's device loads need of a weight row (and so of
// the matrix, whose row stride is a multiple of it).
inline int WeightRowAlignment(WeightType type) {
  switch (type) {
    case WeightType::kF32: return 4;
    case WeightType::kQ4_K:
    case WeightType::kQ5_K: return 16;
    default: return 2;
  }
}

// MatMul for n_tokens <= kGemvMaxTokens: reads each weight row once, in
// its GGUF block format, for every token (gemv.cu).
base::Status GemvQuantized(Gpu& gpu, const MatMulArgs& args);

}  // namespace kernels
