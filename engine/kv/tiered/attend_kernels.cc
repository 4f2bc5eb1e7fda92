#include "engine/kv/tiered/attend_kernels.h"

// GCC 12 reports its own _mm512_undefined_*() placeholders inside the
// AVX-512 intrinsics as (maybe-)uninitialized; the lanes are always set.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <bit>
#include <cmath>
#include <cstring>

#include <immintrin.h>

#include "engine/quant/cpu_features.h"
#include "engine/quant/fp16.h"

namespace engine::kv {
namespace {

// exp(x) for x <= 0 as 2^t, t = x log2(e): 2^round(t) from the exponent
// bits, 2^f (|f| <= 0.5) from Cephes' exp2f polynomial. Relative error
// ~2e-7, plain arithmetic so the loops around it vectorize.
inline float Exp(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float t = x * 1.44269504088896341f;
  const float n = std::floor(t + 0.5f);
  const float f = t - n;
  float p = 1.535336188319500e-4f;
  p = p * f + 1.339887440266574e-3f;
  p = p * f + 9.618437357674640e-3f;
  p = p * f + 5.550332471162809e-2f;
  p = p * f + 2.402264791363012e-1f;
  p = p * f + 6.931472028550421e-1f;
  p = p * f + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// Scalar reference versions (and the only ones of an SSE2-only CPU).
void ScoreScalar(const float* const* q, const float* kt, int d, int64_t n_blocks, float scale, float* const* out) {
  for (int j = 0; j < kQueryBatch; ++j) {
    for (int64_t b = 0; b < n_blocks; ++b) {
      float acc[kRowBlock] = {};
      const float* block = kt + b * d * kRowBlock;
      for (int c = 0; c < d; ++c) {
        for (int i = 0; i < kRowBlock; ++i) acc[i] += q[j][c] * block[c * kRowBlock + i];
      }
      for (int i = 0; i < kRowBlock; ++i) out[j][b * kRowBlock + i] = acc[i] * scale;
    }
  }
}

void AccumulateScalar(const float* const* p, const float* v, int d, int64_t n, float* const* out) {
  for (int j = 0; j < kQueryBatch; ++j) {
    for (int64_t r = 0; r < n; ++r) {
      for (int c = 0; c < d; ++c) out[j][c] += p[j][r] * v[r * d + c];
    }
  }
}

float ExpSumScalar(float* p, int64_t n, float max) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    p[i] = p[i] == -INFINITY ? 0.0f : Exp(p[i] - max);
    sum += p[i];
  }
  return sum;
}

// Exp on 16 lanes, as Exp above; -inf lanes give exactly 0.
__attribute__((target("avx512f,fma"))) inline __m512 Exp16(__m512 x) {
  const __mmask16 masked = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-INFINITY), _CMP_EQ_OQ);
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~masked), p, _mm512_castsi512_ps(bits));
}

__attribute__((target("avx512f,fma"))) float ExpSumAvx512(float* p, int64_t n, float max) {
  const __m512 vmax = _mm512_set1_ps(max);
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = Exp16(_mm512_sub_ps(_mm512_loadu_ps(p + i), vmax));
    _mm512_storeu_ps(p + i, e);
    acc = _mm512_add_ps(acc, e);
  }
  float sum = _mm512_reduce_add_ps(acc);
  return sum + ExpSumScalar(p + i, n - i, max);
}

// Four queries against one block: each key load feeds four FMAs.
__attribute__((target("avx512f,fma"))) void ScoreAvx512(const float* const* q, const float* kt, int d,
                                                       int64_t n_blocks, float scale, float* const* out) {
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t b = 0; b < n_blocks; ++b) {
    const float* k0 = kt + b * d * kRowBlock;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int c = 0; c < d; ++c) {
      const __m512 kc = _mm512_loadu_ps(k0 + c * kRowBlock);
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[0][c]), kc, a0);
      a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[1][c]), kc, a1);
      a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[2][c]), kc, a2);
      a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[3][c]), kc, a3);
    }
    _mm512_storeu_ps(out[0] + b * kRowBlock, _mm512_mul_ps(a0, vscale));
    _mm512_storeu_ps(out[1] + b * kRowBlock, _mm512_mul_ps(a1, vscale));
    _mm512_storeu_ps(out[2] + b * kRowBlock, _mm512_mul_ps(a2, vscale));
    _mm512_storeu_ps(out[3] + b * kRowBlock, _mm512_mul_ps(a3, vscale));
  }
}

__attribute__((target("avx2,fma"))) void ScoreAvx2(const float* const* q, const float* kt, int d, int64_t n_blocks,
                                                  float scale, float* const* out) {
  const __m256 vscale = _mm256_set1_ps(scale);
  for (int64_t b = 0; b < n_blocks; ++b) {
    const float* k0 = kt + b * d * kRowBlock;
    for (int half = 0; half < 2; ++half) {
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int c = 0; c < d; ++c) {
        const __m256 kc = _mm256_loadu_ps(k0 + c * kRowBlock + half * 8);
        a0 = _mm256_fmadd_ps(_mm256_set1_ps(q[0][c]), kc, a0);
        a1 = _mm256_fmadd_ps(_mm256_set1_ps(q[1][c]), kc, a1);
        a2 = _mm256_fmadd_ps(_mm256_set1_ps(q[2][c]), kc, a2);
        a3 = _mm256_fmadd_ps(_mm256_set1_ps(q[3][c]), kc, a3);
      }
      const int64_t at = b * kRowBlock + half * 8;
      _mm256_storeu_ps(out[0] + at, _mm256_mul_ps(a0, vscale));
      _mm256_storeu_ps(out[1] + at, _mm256_mul_ps(a1, vscale));
      _mm256_storeu_ps(out[2] + at, _mm256_mul_ps(a2, vscale));
      _mm256_storeu_ps(out[3] + at, _mm256_mul_ps(a3, vscale));
    }
  }
}

// Per 16-channel chunk, each value row loaded once feeds four queries.
__attribute__((target("avx2,fma"))) void AccumulateAvx2(const float* const* p, const float* v, int d, int64_t n,
                                                       float* const* out) {
  int c = 0;
  for (; c + 8 <= d; c += 8) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t r = 0; r < n; ++r) {
      const __m256 vr = _mm256_loadu_ps(v + r * d + c);
      a0 = _mm256_fmadd_ps(_mm256_set1_ps(p[0][r]), vr, a0);
      a1 = _mm256_fmadd_ps(_mm256_set1_ps(p[1][r]), vr, a1);
      a2 = _mm256_fmadd_ps(_mm256_set1_ps(p[2][r]), vr, a2);
      a3 = _mm256_fmadd_ps(_mm256_set1_ps(p[3][r]), vr, a3);
    }
    _mm256_storeu_ps(out[0] + c, _mm256_add_ps(_mm256_loadu_ps(out[0] + c), a0));
    _mm256_storeu_ps(out[1] + c, _mm256_add_ps(_mm256_loadu_ps(out[1] + c), a1));
    _mm256_storeu_ps(out[2] + c, _mm256_add_ps(_mm256_loadu_ps(out[2] + c), a2));
    _mm256_storeu_ps(out[3] + c, _mm256_add_ps(_mm256_loadu_ps(out[3] + c), a3));
  }
  for (; c < d; ++c) {
    for (int j = 0; j < kQueryBatch; ++j) {
      float acc = 0.0f;
      for (int64_t r = 0; r < n; ++r) acc += p[j][r] * v[r * d + c];
      out[j][c] += acc;
    }
  }
}

__attribute__((target("avx512f,fma"))) void AccumulateAvx512(const float* const* p, const float* v, int d,
                                                            int64_t n, float* const* out) {
  // Widths that are not a multiple of 16 (stories260K: 8 channels per head)
  // take the 8-wide kernel whole: a strided scalar tail here was 90% of a
  // 2K-token prefill on head_dim 8.
  if (d % 16 != 0) return AccumulateAvx2(p, v, d, n, out);
  for (int c = 0; c < d; c += 16) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t r = 0; r < n; ++r) {
      const __m512 vr = _mm512_loadu_ps(v + r * d + c);
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(p[0][r]), vr, a0);
      a1 = _mm512_fmadd_ps(_mm512_set1_ps(p[1][r]), vr, a1);
      a2 = _mm512_fmadd_ps(_mm512_set1_ps(p[2][r]), vr, a2);
      a3 = _mm512_fmadd_ps(_mm512_set1_ps(p[3][r]), vr, a3);
    }
    _mm512_storeu_ps(out[0] + c, _mm512_add_ps(_mm512_loadu_ps(out[0] + c), a0));
    _mm512_storeu_ps(out[1] + c, _mm512_add_ps(_mm512_loadu_ps(out[1] + c), a1));
    _mm512_storeu_ps(out[2] + c, _mm512_add_ps(_mm512_loadu_ps(out[2] + c), a2));
    _mm512_storeu_ps(out[3] + c, _mm512_add_ps(_mm512_loadu_ps(out[3] + c), a3));
  }
}

void F16ToF32Scalar(const uint16_t* src, float* dst, int n) {
  for (int i = 0; i < n; ++i) dst[i] = F16ToF32(src[i]);
}

__attribute__((target("avx2,fma,f16c"))) void F16ToF32F16c(const uint16_t* src, float* dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = F16ToF32(src[i]);
}

}  // namespace

const AttendKernels& BestAttendKernels() {
  static const AttendKernels scalar{ScoreScalar, ExpSumScalar, AccumulateScalar, F16ToF32Scalar};
  static const AttendKernels avx2{ScoreAvx2, ExpSumScalar, AccumulateAvx2, F16ToF32F16c};
  static const AttendKernels avx512{ScoreAvx512, ExpSumAvx512, AccumulateAvx512, F16ToF32F16c};
  switch (BestKernelLevel()) {
    case KernelLevel::kScalar: return scalar;
    case KernelLevel::kAvx2: return avx2;
    case KernelLevel::kAvx512:
    case KernelLevel::kAvx512Vnni: return avx512;
  }
  return scalar;
}

}  // namespace engine::kv
