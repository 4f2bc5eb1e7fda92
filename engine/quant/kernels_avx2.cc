// AVX2 + FMA + F16C kernels (built with -mavx2 -mfma -mf16c; see
// engine/CMakeLists.txt). Tiles are RM rows x up to 2 tokens (16 ymm
// registers); kernels.h's 4-token tiles are split into pairs.
//
// Only this file's own functions and intrinsics are used here: an inline
// function shared with baseline code could be emitted with AVX2
// instructions and picked by the linker for the whole binary.
#include "engine/quant/act_convert.h"
#include "engine/quant/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/quant/blocks.h"

// Tile loops have compile-time trip counts; unrolled, the accumulator
// arrays live in registers instead of on the stack.
#define LH_UNROLL _Pragma("GCC unroll 16")

namespace engine {
namespace {

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }
inline float Bf16ToFloat(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int RM, int RN>
inline void ZeroTile(__m256 (&acc)[RM][RN]) {
  LH_UNROLL
  for (int i = 0; i < RM; ++i) {
    LH_UNROLL
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_setzero_ps();
  }
}

template <int RM, int RN>
inline void StoreTile(const TileArgs& a, __m256 (&acc)[RM][RN]) {
  LH_UNROLL
  for (int i = 0; i < RM; ++i) {
    LH_UNROLL
    for (int j = 0; j < RN; ++j) a.y[j * a.y_stride + i] = Hsum(acc[i][j]);
  }
}

// --- float weights --------------------------------------------------------

inline __m256 LoadF32(const uint8_t* p, int64_t k) {
  return _mm256_loadu_ps(reinterpret_cast<const float*>(p) + k);
}
inline __m256 LoadF16(const uint8_t* p, int64_t k) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * k)));
}
inline __m256 LoadBF16(const uint8_t* p, int64_t k) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * k));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
inline float ScalarF32(const uint8_t* p, int64_t k) { return reinterpret_cast<const float*>(p)[k]; }
inline float ScalarF16(const uint8_t* p, int64_t k) {
  return HalfToFloat(reinterpret_cast<const uint16_t*>(p)[k]);
}
inline float ScalarBF16(const uint8_t* p, int64_t k) {
  return Bf16ToFloat(reinterpret_cast<const uint16_t*>(p)[k]);
}

template <int RM, int RN, __m256 (*LoadW)(const uint8_t*, int64_t), float (*ScalarW)(const uint8_t*, int64_t),
          __m256 (*LoadA)(const uint8_t*, int64_t), float (*ScalarA)(const uint8_t*, int64_t)>
void TileFloat(const TileArgs& a) {
  __m256 acc[RM][RN];
  ZeroTile(acc);
  const int64_t n = a.cols;
  int64_t k = 0;
  if constexpr (RM * RN <= 4) {
    // Few accumulators: a second set keeps enough FMA chains in flight.
    __m256 acc2[RM][RN];
    ZeroTile(acc2);
    for (; k + 16 <= n; k += 16) {
      __m256 av[RN], av2[RN];
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        av[j] = LoadA(a.act + j * a.act_stride, k);
        av2[j] = LoadA(a.act + j * a.act_stride, k + 8);
      }
      LH_UNROLL
      for (int i = 0; i < RM; ++i) {
        const __m256 wv = LoadW(a.w + i * a.w_stride, k);
        const __m256 wv2 = LoadW(a.w + i * a.w_stride, k + 8);
        LH_UNROLL
        for (int j = 0; j < RN; ++j) {
          acc[i][j] = _mm256_fmadd_ps(wv, av[j], acc[i][j]);
          acc2[i][j] = _mm256_fmadd_ps(wv2, av2[j], acc2[i][j]);
        }
      }
    }
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      LH_UNROLL
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_add_ps(acc[i][j], acc2[i][j]);
    }
  }
  for (; k + 8 <= n; k += 8) {
    __m256 av[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) av[j] = LoadA(a.act + j * a.act_stride, k);
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const __m256 wv = LoadW(a.w + i * a.w_stride, k);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_fmadd_ps(wv, av[j], acc[i][j]);
    }
  }
  LH_UNROLL
  for (int i = 0; i < RM; ++i) {
    LH_UNROLL
    for (int j = 0; j < RN; ++j) {
      float s = Hsum(acc[i][j]);
      for (int64_t t = k; t < n; ++t) {
        s += ScalarW(a.w + i * a.w_stride, t) * ScalarA(a.act + j * a.act_stride, t);
      }
      a.y[j * a.y_stride + i] = s;
    }
  }
}

template <int RM, int RN>
void TileF32T(const TileArgs& a) {
  TileFloat<RM, RN, LoadF32, ScalarF32, LoadF32, ScalarF32>(a);
}
template <int RM, int RN>
void TileF16T(const TileArgs& a) {
  TileFloat<RM, RN, LoadF16, ScalarF16, LoadF32, ScalarF32>(a);
}
template <int RM, int RN>
void TileBF16T(const TileArgs& a) {
  TileFloat<RM, RN, LoadBF16, ScalarBF16, LoadBF16, ScalarBF16>(a);
}

// --- Q8_0 / Q4_0 ------------------------------------------------------------

struct ActQ8_0Ptrs {
  const int8_t* qs;
  const float* d;
  const int32_t* nsum;
};

template <int RN>
inline void ActQ8_0Rows(const TileArgs& a, const ActQ8_0Layout& lay, ActQ8_0Ptrs (&act)[RN]) {
  LH_UNROLL
  for (int j = 0; j < RN; ++j) {
    const uint8_t* row = a.act + j * a.act_stride;
    act[j] = {reinterpret_cast<const int8_t*>(row), reinterpret_cast<const float*>(row + lay.d_offset),
              reinterpret_cast<const int32_t*>(row + lay.nsum_offset)};
  }
}

template <int RM, int RN>
void TileQ8_0T(const TileArgs& a) {
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(a.cols);
  ActQ8_0Ptrs act[RN];
  ActQ8_0Rows(a, lay, act);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[RM][RN];
  ZeroTile(acc);
  for (int64_t b = 0; b < lay.nb; ++b) {
    __m256i aq[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) aq[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(act[j].qs + 32 * b));
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const BlockQ8_0& x = reinterpret_cast<const BlockQ8_0*>(a.w + i * a.w_stride)[b];
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs));
      const __m256i ax = _mm256_sign_epi8(w, w);  // |w| (as u8: 128 for -128)
      const float dw = HalfToFloat(x.d);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        const __m256i sy = _mm256_sign_epi8(aq[j], w);
        const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), ones);
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * act[j].d[b]), acc[i][j]);
      }
    }
  }
  StoreTile(a, acc);
}

template <int RM, int RN>
void TileQ4_0T(const TileArgs& a) {
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(a.cols);
  ActQ8_0Ptrs act[RN];
  ActQ8_0Rows(a, lay, act);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[RM][RN];
  ZeroTile(acc);
  for (int64_t b = 0; b < lay.nb; ++b) {
    __m256i aq[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) aq[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(act[j].qs + 32 * b));
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const BlockQ4_0& x = reinterpret_cast<const BlockQ4_0*>(a.w + i * a.w_stride)[b];
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.qs));
      const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), low4);
      const float dw = HalfToFloat(x.d);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        // sum((nib - 8) * a) = sum(nib * a) + 8 * nsum, nsum added in each of 8 lanes.
        const __m256i dot = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(nib, aq[j]), ones),
                                             _mm256_set1_epi32(act[j].nsum[b]));
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * act[j].d[b]), acc[i][j]);
      }
    }
  }
  StoreTile(a, acc);
}

#include "engine/quant/kernels_avx2_kquant.inc"
#include "engine/quant/vec_avx2.inc"

// --- dispatch -----------------------------------------------------------------

inline void Dispatch(const TileArgs& a, const TileFn (&T4)[2], const TileFn (&T1)[2]) {
  for (int t0 = 0; t0 < a.nt; t0 += 2) {
    TileArgs b = a;
    b.act += t0 * a.act_stride;
    b.y += t0 * a.y_stride;
    b.nt = a.nt - t0 < 2 ? a.nt - t0 : 2;
    if (a.nr == 4) {
      T4[b.nt - 1](b);
      continue;
    }
    for (int r = 0; r < a.nr; ++r) {
      TileArgs c = b;
      c.w += r * a.w_stride;
      c.y += r;
      c.nr = 1;
      T1[b.nt - 1](c);
    }
  }
}

#define LH_DEFINE_TILE(Fn, Name)                                   \
  constexpr TileFn Fn##Rows4[2] = {Name<4, 1>, Name<4, 2>};        \
  constexpr TileFn Fn##Rows1[2] = {Name<1, 1>, Name<1, 2>};        \
  void Fn(const TileArgs& a) { Dispatch(a, Fn##Rows4, Fn##Rows1); }

static_assert(kTileRows == 4);
LH_DEFINE_TILE(TileF32, TileF32T)
LH_DEFINE_TILE(TileF16, TileF16T)
LH_DEFINE_TILE(TileBF16, TileBF16T)
LH_DEFINE_TILE(TileQ8_0, TileQ8_0T)
LH_DEFINE_TILE(TileQ4_0, TileQ4_0T)
LH_DEFINE_TILE(TileQ4K, TileQ4KT)
LH_DEFINE_TILE(TileQ5K, TileQ5KT)
LH_DEFINE_TILE(TileQ6K, TileQ6KT)

}  // namespace

const KernelTable* Avx2Kernels() {
  static const KernelTable table = {KernelLevel::kAvx2, TileF32, TileF16, TileBF16, TileQ8_0, TileQ4_0,
                                    TileQ4K, TileQ5K, TileQ6K, DotF32Avx2, DotF16F32Avx2, AxpyF32Avx2,
                                    AxpyF16Avx2, SwiGluAvx2, ConvertActivationRow, nullptr};
  return &table;
}

}  // namespace engine

#else  // !__x86_64__

namespace engine {
const KernelTable* Avx2Kernels() { return nullptr; }
}  // namespace engine

#endif
