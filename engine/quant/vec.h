// Small SIMD helpers for attention and norms, dispatched at run time to
// the kernel level of BestKernelLevel() (cpu_features.h).
//
// Results may differ from a sequential sum by float reassociation only.
// Threading: pure functions; call from any thread.
#pragma once

#include <cstdint>

namespace engine {

// sum a[i] * b[i]
float DotF32(const float* a, const float* b, int64_t n);
// sum fp16(a[i]) * b[i]
float DotF16F32(const uint16_t* a_f16, const float* b, int64_t n);
// y += alpha * x
void AxpyF32(float alpha, const float* x, float* y, int64_t n);
// y += alpha * fp16(x)
void AxpyF16(float alpha, const uint16_t* x_f16, float* y, int64_t n);
// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g); out may alias
// gate or up. The SIMD exp is within 2 ulp of libm's expf.
void SwiGluF32(const float* gate, const float* up, int64_t n, float* out);

}  // namespace engine
