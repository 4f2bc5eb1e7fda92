// Portable reference kernels. Every SIMD family is tested against these:
// they compute each block's integer dot product exactly, scale it in f32,
// and accumulate blocks in order (ggml's generic vec_dot order).
#include <cmath>
#include <cstring>

#include "engine/quant/act_convert.h"
#include "engine/quant/blocks.h"
#include "engine/quant/fp16.h"
#include "engine/quant/kernels.h"

namespace engine {
namespace {

float DotF32Scalar(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float DotF16F32Scalar(const uint16_t* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += F16ToF32(a[i]) * b[i];
  return sum;
}

void AxpyF32Scalar(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void SwiGluScalar(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void AxpyF16Scalar(float alpha, const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * F16ToF32(x[i]);
}

float RowDotF32(const uint8_t* w, const uint8_t* a, int64_t n) {
  return DotF32Scalar(reinterpret_cast<const float*>(w), reinterpret_cast<const float*>(a), n);
}

float RowDotF16(const uint8_t* w, const uint8_t* a, int64_t n) {
  return DotF16F32Scalar(reinterpret_cast<const uint16_t*>(w), reinterpret_cast<const float*>(a), n);
}

float RowDotBF16(const uint8_t* w, const uint8_t* a, int64_t n) {
  const auto* x = reinterpret_cast<const uint16_t*>(w);
  const auto* y = reinterpret_cast<const uint16_t*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += BF16ToF32(x[i]) * BF16ToF32(y[i]);
  return sum;
}

float RowDotQ8_0(const uint8_t* w, const uint8_t* a, int64_t n) {
  const auto* x = reinterpret_cast<const BlockQ8_0*>(w);
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(n);
  const auto* qs = reinterpret_cast<const int8_t*>(a);
  const auto* d = reinterpret_cast<const float*>(a + lay.d_offset);
  float sum = 0.0f;
  for (int64_t b = 0; b < lay.nb; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 32; ++j) isum += x[b].qs[j] * qs[b * 32 + j];
    sum += static_cast<float>(isum) * (F16ToF32(x[b].d) * d[b]);
  }
  return sum;
}

float RowDotQ4_0(const uint8_t* w, const uint8_t* a, int64_t n) {
  const auto* x = reinterpret_cast<const BlockQ4_0*>(w);
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(n);
  const auto* qs = reinterpret_cast<const int8_t*>(a);
  const auto* d = reinterpret_cast<const float*>(a + lay.d_offset);
  float sum = 0.0f;
  for (int64_t b = 0; b < lay.nb; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += ((x[b].qs[j] & 0xF) - 8) * qs[b * 32 + j];
      isum += ((x[b].qs[j] >> 4) - 8) * qs[b * 32 + 16 + j];
    }
    sum += static_cast<float>(isum) * (F16ToF32(x[b].d) * d[b]);
  }
  return sum;
}

// Sum over sub-blocks of m_j * (sum of the 32 activations of sub-block j).
int32_t MinsDot(const uint8_t* scales, const int16_t* bsums) {
  int32_t s = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    ScaleMinK4(j, scales, &sc, &m);
    s += m * (bsums[2 * j] + bsums[2 * j + 1]);
  }
  return s;
}

float RowDotQ4K(const uint8_t* w, const uint8_t* a, int64_t n) {
  const auto* x = reinterpret_cast<const BlockQ4K*>(w);
  const auto* y = reinterpret_cast<const ActQ8K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 256; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      ScaleMinK4(j, x[b].scales, &sc, &m);
      const uint8_t* q = x[b].qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      int32_t s = 0;
      for (int l = 0; l < 32; ++l) s += ((q[l] >> shift) & 0xF) * y[b].qs[32 * j + l];
      isum += sc * s;
    }
    const int32_t msum = MinsDot(x[b].scales, y[b].bsums);
    sum += (F16ToF32(x[b].d) * y[b].d) * static_cast<float>(isum) -
           (F16ToF32(x[b].dmin) * y[b].d) * static_cast<float>(msum);
  }
  return sum;
}

float RowDotQ5K(const uint8_t* w, const uint8_t* a, int64_t n) {
  const auto* x = reinterpret_cast<const BlockQ5K*>(w);
  const auto* y = reinterpret_cast<const ActQ8K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 256; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      ScaleMinK4(j, x[b].scales, &sc, &m);
      const uint8_t* q = x[b].qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      int32_t s = 0;
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> shift) & 0xF) | (((x[b].qh[l] >> j) & 1) << 4);
        s += v * y[b].qs[32 * j + l];
      }
      isum += sc * s;
    }
    const int32_t msum = MinsDot(x[b].scales, y[b].bsums);
    sum += (F16ToF32(x[b].d) * y[b].d) * static_cast<float>(isum) -
           (F16ToF32(x[b].dmin) * y[b].d) * static_cast<float>(msum);
  }
  return sum;
}

float RowDotQ6K(const uint8_t* w, const uint8_t* a, int64_t n) {
  const auto* x = reinterpret_cast<const BlockQ6K*>(w);
  const auto* y = reinterpret_cast<const ActQ8K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 256; ++b) {
    int32_t isum = 0;
    for (int g = 0; g < 16; ++g) {
      int32_t s = 0;
      for (int i = 0; i < 16; ++i) {
        const int e = 16 * g + i;       // value index in the block
        const int h = e / 128, r = e % 128;
        const int l = r % 64, k = r / 32;  // k: which 32-run of the half
        const int lo = (r < 64 ? x[b].ql[64 * h + l] & 0xF : x[b].ql[64 * h + l] >> 4);
        const int hi = (x[b].qh[32 * h + r % 32] >> (2 * k)) & 3;
        s += ((lo | (hi << 4)) - 32) * y[b].qs[e];
      }
      isum += x[b].scales[g] * s;
    }
    sum += (F16ToF32(x[b].d) * y[b].d) * static_cast<float>(isum);
  }
  return sum;
}

template <float (*RowDot)(const uint8_t*, const uint8_t*, int64_t)>
void TileScalar(const TileArgs& a) {
  for (int t = 0; t < a.nt; ++t) {
    for (int r = 0; r < a.nr; ++r) {
      a.y[t * a.y_stride + r] = RowDot(a.w + r * a.w_stride, a.act + t * a.act_stride, a.cols);
    }
  }
}

}  // namespace

const KernelTable& ScalarKernels() {
  static const KernelTable table = {
      KernelLevel::kScalar,
      TileScalar<RowDotF32>,
      TileScalar<RowDotF16>,
      TileScalar<RowDotBF16>,
      TileScalar<RowDotQ8_0>,
      TileScalar<RowDotQ4_0>,
      TileScalar<RowDotQ4K>,
      TileScalar<RowDotQ5K>,
      TileScalar<RowDotQ6K>,
      DotF32Scalar,
      DotF16F32Scalar,
      AxpyF32Scalar,
      AxpyF16Scalar,
      SwiGluScalar,
      ConvertActivationRow,
      nullptr,
  };
  return table;
}

const KernelTable& ActiveKernels() {
  switch (BestKernelLevel()) {
    case KernelLevel::kAvx512Vnni:
      if (const KernelTable* k = Avx512VnniKernels()) return *k;
      [[fallthrough]];
    case KernelLevel::kAvx512:
      if (const KernelTable* k = Avx512Kernels()) return *k;
      [[fallthrough]];
    case KernelLevel::kAvx2:
      if (const KernelTable* k = Avx2Kernels()) return *k;
      [[fallthrough]];
    case KernelLevel::kScalar: break;
  }
  return ScalarKernels();
}

}  // namespace engine
