#include "engine/kv/tiered/cold_codec.h"

#include <algorithm>
#include <cstring>

#include "engine/quant/cpu_features.h"
#include "engine/kv/tiered/f16_round.h"
#include "engine/quant/fp16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace engine::kv {
namespace {

// round((x - lo) / step) in 0..15; NaN maps to 0.
uint8_t Code4(float x, float lo, float inv_step) {
  const float r = (x - lo) * inv_step + 0.5f;
  if (!(r > 0.0f)) return 0;
  return r >= 15.0f ? 15 : static_cast<uint8_t>(r);
}

// Range [lo, lo + 15 step] covering [mn, mx], stored as fp16 bits.
void Range4(float mn, float mx, uint16_t* lo, uint16_t* step) {
  mn = ClampF16(mn);
  mx = ClampF16(mx);
  *lo = F16Floor(mn);
  const float span = std::max(0.0f, mx - F16ToF32(*lo));
  uint16_t s = F16Ceil(span / 15.0f);
  // Float rounding of lo + 15 * step may still fall short of mx: widen.
  while (F16ToF32(*lo) + 15.0f * F16ToF32(s) < mx && s < 0x7bffu) s = F16NextUp(s);
  *step = s;
}

void Put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
uint16_t Get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

}  // namespace

ColdLayout ColdLayout::For(int tokens, int head_dim, int bits) {
  ColdLayout l;
  l.tokens = tokens;
  l.head_dim = head_dim;
  l.bits = bits;
  l.v_group = head_dim % 32 == 0 ? 32 : head_dim;
  const size_t t = static_cast<size_t>(tokens), d = static_cast<size_t>(head_dim);
  if (bits == 16) {
    l.k_bytes = t * d * 2;
    l.v_bytes = t * d * 2;
  } else {
    l.k_bytes = d * 4 + t * d / 2;
    l.v_bytes = t * (d / static_cast<size_t>(l.v_group)) * 4 + t * d / 2;
  }
  return l;
}

void EncodeColdHead(const ColdLayout& l, const float* k_pre, const float* v, uint8_t* dst) {
  const int T = l.tokens, d = l.head_dim;
  if (l.bits == 16) {
    for (int i = 0; i < T * d; ++i) Put16(dst + 2 * i, F32ToF16(ClampF16(k_pre[i])));
    for (int i = 0; i < T * d; ++i) Put16(dst + l.k_bytes + 2 * i, F32ToF16(ClampF16(v[i])));
    return;
  }
  // K: per channel over the T tokens.
  uint8_t* k_params = dst;                  // [d] min, then [d] step
  uint8_t* k_codes = dst + 4 * d;           // [T][d/2]
  std::memset(k_codes, 0, static_cast<size_t>(T) * d / 2);
  for (int c = 0; c < d; ++c) {
    float mn = k_pre[c], mx = k_pre[c];
    for (int t = 1; t < T; ++t) {
      mn = std::min(mn, k_pre[t * d + c]);
      mx = std::max(mx, k_pre[t * d + c]);
    }
    uint16_t lo, step;
    Range4(mn, mx, &lo, &step);
    Put16(k_params + 2 * c, lo);
    Put16(k_params + 2 * (d + c), step);
    const float lo_f = F16ToF32(lo), step_f = F16ToF32(step);
    const float inv = step_f > 0.0f ? 1.0f / step_f : 0.0f;
    const int byte = c % (d / 2), shift = c < d / 2 ? 0 : 4;
    for (int t = 0; t < T; ++t) {
      const uint8_t code = Code4(k_pre[t * d + c], lo_f, inv);
      k_codes[t * d / 2 + byte] |= static_cast<uint8_t>(code << shift);
    }
  }
  // V: per token, groups of g channels.
  const int g = l.v_group, n_groups = d / g;
  uint8_t* v_params = dst + l.k_bytes;                       // [T][n_groups][min, step]
  uint8_t* v_codes = v_params + static_cast<size_t>(T) * n_groups * 4;  // [T][d/2]
  std::memset(v_codes, 0, static_cast<size_t>(T) * d / 2);
  for (int t = 0; t < T; ++t) {
    for (int gi = 0; gi < n_groups; ++gi) {
      const float* x = v + t * d + gi * g;
      float mn = x[0], mx = x[0];
      for (int c = 1; c < g; ++c) {
        mn = std::min(mn, x[c]);
        mx = std::max(mx, x[c]);
      }
      uint16_t lo, step;
      Range4(mn, mx, &lo, &step);
      uint8_t* p = v_params + (static_cast<size_t>(t) * n_groups + gi) * 4;
      Put16(p, lo);
      Put16(p + 2, step);
      const float lo_f = F16ToF32(lo), step_f = F16ToF32(step);
      const float inv = step_f > 0.0f ? 1.0f / step_f : 0.0f;
      uint8_t* codes = v_codes + t * d / 2 + gi * g / 2;  // [g/2]
      for (int c = 0; c < g; ++c) {
        codes[c % (g / 2)] |= static_cast<uint8_t>(Code4(x[c], lo_f, inv) << (c < g / 2 ? 0 : 4));
      }
    }
  }
}

namespace {

// out[i] = mn[i] + step[i] * (code & 15) and out[h + i] = ... (code >> 4),
// over one row of h code bytes; `mn`/`step` advance per channel when
// per_channel, else they hold one value.
using NibbleFn = void (*)(const uint8_t* codes, int h, const float* mn, const float* step, bool per_channel,
                          float* out);
using HalfFn = void (*)(const uint8_t* src, int n, float* out);

void NibblesScalar(const uint8_t* codes, int h, const float* mn, const float* step, bool per_channel, float* out) {
  for (int i = 0; i < h; ++i) {
    const int lo = per_channel ? i : 0, hi = per_channel ? h + i : 0;
    out[i] = mn[lo] + step[lo] * static_cast<float>(codes[i] & 15);
    out[h + i] = mn[hi] + step[hi] * static_cast<float>(codes[i] >> 4);
  }
}

void HalfScalar(const uint8_t* src, int n, float* out) {
  for (int i = 0; i < n; ++i) out[i] = F16ToF32(Get16(src + 2 * i));
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c"))) void NibblesAvx2(const uint8_t* codes, int h, const float* mn,
                                                           const float* step, bool per_channel, float* out) {
  int i = 0;
  const __m256i low4 = _mm256_set1_epi32(15);
  for (; i + 8 <= h; i += 8) {
    const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i)));
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(b, low4));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(b, 4));
    const __m256 mn_lo = per_channel ? _mm256_loadu_ps(mn + i) : _mm256_set1_ps(mn[0]);
    const __m256 st_lo = per_channel ? _mm256_loadu_ps(step + i) : _mm256_set1_ps(step[0]);
    const __m256 mn_hi = per_channel ? _mm256_loadu_ps(mn + h + i) : mn_lo;
    const __m256 st_hi = per_channel ? _mm256_loadu_ps(step + h + i) : st_lo;
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(st_lo, lo, mn_lo));
    _mm256_storeu_ps(out + h + i, _mm256_fmadd_ps(st_hi, hi, mn_hi));
  }
  for (; i < h; ++i) {
    const int lo = per_channel ? i : 0, hi = per_channel ? h + i : 0;
    out[i] = mn[lo] + step[lo] * static_cast<float>(codes[i] & 15);
    out[h + i] = mn[hi] + step[hi] * static_cast<float>(codes[i] >> 4);
  }
}

__attribute__((target("avx2,fma,f16c"))) void HalfF16c(const uint8_t* src, int n, float* out) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i))));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(Get16(src + 2 * i));
}
#endif

void DecodeRows(const ColdLayout& l, const uint8_t* src, int row0, int n, float* k_out, float* v_out,
                NibbleFn nibbles, HalfFn to_f32) {
  const int d = l.head_dim;
  if (l.bits == 16) {
    for (int r = 0; r < n; ++r) {
      const size_t at = (static_cast<size_t>(row0 + r) * d) * 2;
      if (k_out) to_f32(src + at, d, k_out + r * d);
      if (v_out) to_f32(src + l.k_bytes + at, d, v_out + r * d);
    }
    return;
  }
  if (k_out) {
    float mn[kMaxHeadDim], step[kMaxHeadDim];  // per channel
    to_f32(src, d, mn);
    to_f32(src + 2 * d, d, step);
    const uint8_t* codes = src + 4 * d;  // [T][d/2]
    for (int r = 0; r < n; ++r) nibbles(codes + static_cast<size_t>(row0 + r) * d / 2, d / 2, mn, step, true, k_out + r * d);
  }
  if (v_out) {
    const int g = l.v_group, n_groups = d / g;
    const uint8_t* params = src + l.k_bytes;
    const uint8_t* codes = params + static_cast<size_t>(l.tokens) * n_groups * 4;  // [T][d/2]
    float p[2 * kMaxHeadDim];  // [n_groups][min, step]
    for (int r = 0; r < n; ++r) {
      const int t = row0 + r;
      to_f32(params + static_cast<size_t>(t) * n_groups * 4, 2 * n_groups, p);
      for (int gi = 0; gi < n_groups; ++gi) {
        nibbles(codes + static_cast<size_t>(t) * d / 2 + gi * g / 2, g / 2, &p[2 * gi], &p[2 * gi + 1], false,
                v_out + r * d + gi * g);
      }
    }
  }
}

}  // namespace

void DecodeColdRows(const ColdLayout& l, const uint8_t* src, int row0, int n, float* k_out, float* v_out) {
#if defined(__x86_64__)
  if (BestKernelLevel() >= KernelLevel::kAvx2) return DecodeRows(l, src, row0, n, k_out, v_out, NibblesAvx2, HalfF16c);
#endif
  DecodeRows(l, src, row0, n, k_out, v_out, NibblesScalar, HalfScalar);
}

float ColdKStep(const ColdLayout& l, const uint8_t* src, int ch) {
  if (l.bits == 16) return 0.0f;
  return F16ToF32(Get16(src + 2 * (l.head_dim + ch)));
}

float ColdVStep(const ColdLayout& l, const uint8_t* src, int row, int ch) {
  if (l.bits == 16) return 0.0f;
  const int n_groups = l.head_dim / l.v_group;
  return F16ToF32(Get16(src + l.k_bytes + (static_cast<size_t>(row) * n_groups + ch / l.v_group) * 4 + 2));
}

}  // namespace engine::kv
