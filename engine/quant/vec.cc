#include "engine/quant/vec.h"

#include "engine/quant/kernels.h"

namespace engine {

float DotF32(const float* a, const float* b, int64_t n) { return ActiveKernels().dot_f32(a, b, n); }

float DotF16F32(const uint16_t* a_f16, const float* b, int64_t n) {
  return ActiveKernels().dot_f16_f32(a_f16, b, n);
}

void AxpyF32(float alpha, const float* x, float* y, int64_t n) { ActiveKernels().axpy_f32(alpha, x, y, n); }

void AxpyF16(float alpha, const uint16_t* x_f16, float* y, int64_t n) {
  ActiveKernels().axpy_f16(alpha, x_f16, y, n);
}

void SwiGluF32(const float* gate, const float* up, int64_t n, float* out) {
  ActiveKernels().swiglu_f32(gate, up, n, out);
}

}  // namespace engine
