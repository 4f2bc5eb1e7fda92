#include "engine/kv/tiered/envelope.h"

#include <algorithm>
#include <cmath>

#include "engine/kv/tiered/f16_round.h"
#include "engine/quant/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace engine::kv {
namespace {

// Signed 4-bit code of a nibble.
inline int Nib(uint8_t x) { return (static_cast<int>(x & 15) ^ 8) - 8; }

int32_t DotScalar(const uint8_t* q, const int8_t* env, int d, int bits) {
  int32_t s = 0;
  if (bits == 8) {
    for (int i = 0; i < 2 * d; ++i) s += static_cast<int32_t>(q[i]) * env[i];
  } else {
    for (int i = 0; i < d; ++i) {
      const uint8_t b = static_cast<uint8_t>(env[i]);
      s += static_cast<int32_t>(q[i]) * Nib(b) + static_cast<int32_t>(q[d + i]) * Nib(static_cast<uint8_t>(b >> 4));
    }
  }
  return s;
}

// The common loop: out[u] = scale_u * max_h step_h * (dot_h(u) + half_l1_u).
template <typename Dot>
inline void ScoreLoop(const ScoreArgs& a, Dot dot) {
  const int n = EnvBytes(a.head_dim, a.bits);
  for (int64_t u = 0; u < a.n_units; ++u) {
    const int8_t* env = a.env + u * n;
    const UnitMeta& m = a.meta[u];
    float best = -INFINITY;
    for (int h = 0; h < a.n_queries; ++h) {
      const float v = static_cast<float>(dot(a.queries[h].v, env));
      best = std::max(best, a.queries[h].step * (v + m.half_l1()));
    }
    a.out[u] = m.scale() * best;
  }
}

void ScoreUnitsScalar(const ScoreArgs& a) {
  ScoreLoop(a, [&](const uint8_t* q, const int8_t* env) { return DotScalar(q, env, a.head_dim, a.bits); });
}

#if defined(__x86_64__)
// u8 (<= 127) x s8 (|.| <= 127): maddubs pair sums stay below the int16 limit.
__attribute__((target("avx2"))) inline __m256i MulAdd8(__m256i acc, __m256i q, __m256i e) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(q, e), _mm256_set1_epi16(1)));
}

__attribute__((target("avx2"))) inline int32_t Sum8(__m256i acc) {
  __m128i x = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1));
  return _mm_cvtsi128_si32(x);
}

// Nibbles of 32 bytes as sign-extended s8: low (hi_q) and high (-lo_q).
__attribute__((target("avx2"))) inline void Unpack4(__m256i b, __m256i* lo, __m256i* hi) {
  const __m256i mask = _mm256_set1_epi8(15), eight = _mm256_set1_epi8(8);
  *lo = _mm256_sub_epi8(_mm256_xor_si256(_mm256_and_si256(b, mask), eight), eight);
  *hi = _mm256_sub_epi8(_mm256_xor_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), mask), eight), eight);
}

__attribute__((target("avx2"))) int32_t DotAvx2(const uint8_t* q, const int8_t* env, int d, int bits) {
  __m256i acc = _mm256_setzero_si256();
  int i = 0;
  if (bits == 8) {
    for (; i + 32 <= 2 * d; i += 32) {
      acc = MulAdd8(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)),
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(env + i)));
    }
    int32_t s = Sum8(acc);
    for (; i < 2 * d; ++i) s += static_cast<int32_t>(q[i]) * env[i];
    return s;
  }
  for (; i + 32 <= d; i += 32) {
    __m256i lo, hi;
    Unpack4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(env + i)), &lo, &hi);
    acc = MulAdd8(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)), lo);
    acc = MulAdd8(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + d + i)), hi);
  }
  int32_t s = Sum8(acc);
  for (; i < d; ++i) {
    const uint8_t b = static_cast<uint8_t>(env[i]);
    s += static_cast<int32_t>(q[i]) * Nib(b) + static_cast<int32_t>(q[d + i]) * Nib(static_cast<uint8_t>(b >> 4));
  }
  return s;
}

__attribute__((target("avx2"))) void ScoreUnitsAvx2(const ScoreArgs& a) {
  ScoreLoop(a, [&](const uint8_t* q, const int8_t* env) { return DotAvx2(q, env, a.head_dim, a.bits); });
}

// GCC 12 flags the _mm512_undefined_* inside its own reduce intrinsics.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such group
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline __m256i Half512(__m512i a) {
  return _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
}

// Four int32 horizontal sums at once: out[i] = sum of a_i's lanes.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline __m128i Sum4(__m512i a0, __m512i a1, __m512i a2,
                                                                          __m512i a3) {
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(Half512(a0), Half512(a1)), _mm256_hadd_epi32(Half512(a2), Half512(a3)));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// Each unit's envelope is loaded (and for 4 bits unpacked) once, then dotted
// with the queries four at a time, which shares the horizontal sums.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void ScoreUnitsVnni(const ScoreArgs& a) {
  const int d = a.head_dim, n = EnvBytes(d, a.bits);
  if (d > kMaxHeadDim) return ScoreUnitsScalar(a);
  // Operand pairs: env vector j is dotted with query bytes [q_off[j], +64) under mask[j].
  int n_pairs = 0, q_off[8];
  __mmask64 mask[8];
  for (int i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~0ull : (~0ull >> (64 - (n - i)));
    mask[n_pairs] = m;
    q_off[n_pairs++] = i;
    if (a.bits == 4) {
      mask[n_pairs] = m;
      q_off[n_pairs++] = d + i;
    }
  }
  const __m512i low4 = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
  for (int64_t u = 0; u < a.n_units; ++u) {
    const int8_t* env = a.env + u * n;
    __m512i e[8];
    for (int j = 0, i = 0; i < n; i += 64) {
      const __m512i raw = _mm512_maskz_loadu_epi8(mask[j], env + i);
      if (a.bits == 8) {
        e[j++] = raw;
      } else {  // sign-extended nibbles: low = hi_q, high = -lo_q
        e[j++] = _mm512_sub_epi8(_mm512_xor_si512(_mm512_and_si512(raw, low4), eight), eight);
        e[j++] = _mm512_sub_epi8(_mm512_xor_si512(_mm512_and_si512(_mm512_srli_epi16(raw, 4), low4), eight), eight);
      }
    }
    const UnitMeta& m = a.meta[u];
    float best = -INFINITY;
    for (int h0 = 0; h0 < a.n_queries; h0 += 4) {
      __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                        _mm512_setzero_si512()};
      const int nh = std::min(4, a.n_queries - h0);
      for (int k = 0; k < nh; ++k) {
        const uint8_t* q = a.queries[h0 + k].v;
        for (int j = 0; j < n_pairs; ++j) {
          // Masked-off query bytes are zero, so padding lanes add nothing.
          acc[k] = _mm512_dpbusd_epi32(acc[k], _mm512_maskz_loadu_epi8(mask[j], q + q_off[j]), e[j]);
        }
      }
      alignas(16) int32_t sums[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(sums), Sum4(acc[0], acc[1], acc[2], acc[3]));
      for (int k = 0; k < nh; ++k) {
        const QuantQuery& q = a.queries[h0 + k];
        best = std::max(best, q.step * (static_cast<float>(sums[k]) + m.half_l1()));
      }
    }
    a.out[u] = m.scale() * best;
  }
}
#pragma GCC diagnostic pop
#endif

}  // namespace

void BuildEnvelope(const float* keys, int rows, int d, int bits, int8_t* env, UnitMeta* meta) {
  float lo[kMaxHeadDim], hi[kMaxHeadDim];
  float amax = 0.0f;
  for (int c = 0; c < d; ++c) {
    float mn = keys[c], mx = keys[c];
    for (int r = 1; r < rows; ++r) {
      mn = std::min(mn, keys[r * d + c]);
      mx = std::max(mx, keys[r * d + c]);
    }
    lo[c] = mn;
    hi[c] = mx;
    amax = std::max(amax, std::max(std::fabs(mn), std::fabs(mx)));
  }
  // A hair above amax / qmax keeps every code within +-qmax after rounding
  // outward; the step is rounded up to fp16 and the codes use that value.
  const float qmax = bits == 4 ? 7.0f : 127.0f;
  const float raw = amax / (qmax - 0.5f);
  const uint16_t scale_f16 = raw > 6e-5f && raw < kF16Max ? F16Ceil(raw) : (raw >= kF16Max ? 0x7bffu : 0x0400u);
  const float scale = F16ToF32(scale_f16);
  const float inv = 1.0f / scale;
  float l1 = 0.0f;
  for (int c = 0; c < d; ++c) {
    float qh = std::ceil(hi[c] * inv), ql = std::floor(lo[c] * inv);
    // Division rounding may land one step inside the true value: step out.
    if (qh * scale < hi[c]) qh += 1.0f;
    if (ql * scale > lo[c]) ql -= 1.0f;
    qh = qh == qh ? std::clamp(qh, -qmax, qmax) : qmax;  // NaN keys: the widest box
    ql = ql == ql ? std::clamp(ql, -qmax, qmax) : -qmax;
    if (bits == 4) {
      const int h4 = static_cast<int>(qh) & 15, l4 = static_cast<int>(-ql) & 15;
      env[c] = static_cast<int8_t>(static_cast<uint8_t>(h4 | (l4 << 4)));
    } else {
      env[c] = static_cast<int8_t>(qh);
      env[d + c] = static_cast<int8_t>(-ql);
    }
    l1 += std::max(std::fabs(qh), std::fabs(ql));
  }
  meta->scale_f16 = scale_f16;
  meta->l1 = static_cast<uint16_t>(l1);
}

float EnvelopeBound(const float* q, const int8_t* env, const UnitMeta& meta, int d, int bits) {
  float s = 0.0f;
  for (int c = 0; c < d; ++c) {
    int hq, nlq;  // hi and -lo in steps
    if (bits == 4) {
      const uint8_t b = static_cast<uint8_t>(env[c]);
      hq = Nib(b);
      nlq = Nib(static_cast<uint8_t>(b >> 4));
    } else {
      hq = env[c];
      nlq = env[d + c];
    }
    const float hi = meta.scale() * static_cast<float>(hq), lo = -meta.scale() * static_cast<float>(nlq);
    s += std::max(q[c] * lo, q[c] * hi);
  }
  return s;
}

void QuantizeQuery(const float* q, int d, QuantQuery* out) {
  float amax = 0.0f;
  for (int c = 0; c < d; ++c) amax = std::max(amax, std::fabs(q[c]));
  out->step = amax > 1e-30f && std::isfinite(amax) ? amax / 127.0f : 1.0f;
  const float inv = 1.0f / out->step;
  for (int c = 0; c < d; ++c) {
    // Round to nearest: |q - step * code| <= step / 2 per channel.
    float r = std::nearbyint(q[c] * inv);
    r = r == r ? std::clamp(r, -127.0f, 127.0f) : 0.0f;
    out->v[c] = static_cast<uint8_t>(r > 0.0f ? r : 0.0f);
    out->v[d + c] = static_cast<uint8_t>(r < 0.0f ? -r : 0.0f);
  }
}

float EnvelopeBoundQuantized(const QuantQuery& q, const int8_t* env, const UnitMeta& meta, int d, int bits) {
  float out;
  ScoreUnitsScalar({&q, 1, env, &meta, 1, d, bits, &out});
  return out;
}

void ScoreUnits(const ScoreArgs& args) {
#if defined(__x86_64__)
  const KernelLevel level = BestKernelLevel();
  if (level >= KernelLevel::kAvx512Vnni) return ScoreUnitsVnni(args);
  if (level >= KernelLevel::kAvx2) return ScoreUnitsAvx2(args);
#endif
  ScoreUnitsScalar(args);
}

}  // namespace engine::kv
