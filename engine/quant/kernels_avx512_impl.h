// AVX-512 kernels, compiled twice: kernels_avx512.cc (F/BW/VL/DQ) and
// kernels_avx512_vnni.cc (+VNNI, +BF16), which define LH_AVX512_VNNI and
// LH_AVX512_TABLE before including this file. Each includer is built with
// its own -m flags; the rest of the binary stays baseline x86-64.
//
// Only this file's own (anonymous-namespace) functions and intrinsics are
// used here: an inline function shared with baseline code could be
// emitted with AVX-512 instructions and picked by the linker for all.
//
// Layout of the work (see kernels.h): a tile is RM weight rows x RN tokens
// with one f32 accumulator vector per (row, token). Quantized types
// process 64 values (two 32-blocks or one 64-value chunk of a K block) per
// step; each block's integer dot product is exact, then scaled in f32.
// GCC 12 reports its own _mm512_undefined_*() placeholders (inside the
// 256->512 casts and some shuffles) as (maybe-)uninitialized; the lanes
// they fill are always overwritten or ignored.
#if !defined(__clang__)  // clang has no such group
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "engine/quant/act_convert.h"
#include "engine/quant/blocks.h"
#include "engine/quant/kernels.h"

#ifndef LH_AVX512_VNNI
#error "define LH_AVX512_VNNI (0 or 1) before including kernels_avx512_impl.h"
#endif

// Tile loops have compile-time trip counts; unrolled, the accumulator
// arrays live in registers instead of on the stack.
#define LH_UNROLL _Pragma("GCC unroll 16")

namespace engine {
namespace {

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

// [a x8, b x8]
inline __m512 FloatPair(float a, float b) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(a)), _mm256_set1_ps(b), 1);
}
inline __m512i IntPair(int32_t a, int32_t b) {
  return _mm512_inserti32x8(_mm512_castsi256_si512(_mm256_set1_epi32(a)), _mm256_set1_epi32(b), 1);
}
inline __m512 HalfPair(uint16_t a, uint16_t b) {
  return _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16(static_cast<short>(b)),
                                          _mm_set1_epi16(static_cast<short>(a))));
}
inline __m512i Join256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// acc_i32 += sum of adjacent pairs of (i16 a * i16 b).
inline __m512i MaddAcc(__m512i acc, __m512i a, __m512i b) {
#if LH_AVX512_VNNI
  return _mm512_dpwssd_epi32(acc, a, b);
#else
  return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
#endif
}

// [sum(a), sum(b), sum(c), sum(d)]: four horizontal sums sharing shuffles.
inline __m128 Reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
  // 128-bit chunk k now holds a partial sum (4 floats) of a, b, c, d.
  __m512 u = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
  u = _mm512_add_ps(u, _mm512_permute_ps(u, 0x4E));
  u = _mm512_add_ps(u, _mm512_permute_ps(u, 0xB1));
  const __m512i first_of_chunk = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0);
  return _mm512_castps512_ps128(_mm512_permutexvar_ps(first_of_chunk, u));
}

template <int RM, int RN>
inline void StoreTile(const TileArgs& a, __m512 (&acc)[RM][RN]) {
  if constexpr (RM == 4) {
    LH_UNROLL
    for (int j = 0; j < RN; ++j) {
      _mm_storeu_ps(a.y + j * a.y_stride, Reduce4(acc[0][j], acc[1][j], acc[2][j], acc[3][j]));
    }
  } else {
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      LH_UNROLL
      for (int j = 0; j < RN; ++j) a.y[j * a.y_stride + i] = _mm512_reduce_add_ps(acc[i][j]);
    }
  }
}

template <int RM, int RN>
inline void ZeroTile(__m512 (&acc)[RM][RN]) {
  LH_UNROLL
  for (int i = 0; i < RM; ++i) {
    LH_UNROLL
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_setzero_ps();
  }
}

// --- float weights ------------------------------------------------------

inline __m512 LoadF32(const uint8_t* p, int64_t k) {
  return _mm512_loadu_ps(reinterpret_cast<const float*>(p) + k);
}
inline __m512 LoadF32Tail(const uint8_t* p, int64_t k, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(p) + k);
}
inline __m512 LoadF16(const uint8_t* p, int64_t k) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * k)));
}
inline __m512 LoadF16Tail(const uint8_t* p, int64_t k, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * k));
}
inline __m512 LoadBF16(const uint8_t* p, int64_t k) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * k));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline __m512 LoadBF16Tail(const uint8_t* p, int64_t k, __mmask16 m) {
  const __m256i h = _mm256_maskz_loadu_epi16(m, p + 2 * k);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// W is converted by LoadW, activations by LoadA; 16 values per step.
template <int RM, int RN, __m512 (*LoadW)(const uint8_t*, int64_t),
          __m512 (*LoadWTail)(const uint8_t*, int64_t, __mmask16),
          __m512 (*LoadA)(const uint8_t*, int64_t),
          __m512 (*LoadATail)(const uint8_t*, int64_t, __mmask16)>
void TileFloat(const TileArgs& a) {
  __m512 acc[RM][RN];
  ZeroTile(acc);
  const int64_t n = a.cols;
  int64_t k = 0;
  if constexpr (RM * RN <= 8) {
    // Few accumulators: a second set keeps enough FMA chains in flight.
    __m512 acc2[RM][RN];
    ZeroTile(acc2);
    for (; k + 32 <= n; k += 32) {
      __m512 av[RN], av2[RN];
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        av[j] = LoadA(a.act + j * a.act_stride, k);
        av2[j] = LoadA(a.act + j * a.act_stride, k + 16);
      }
      LH_UNROLL
      for (int i = 0; i < RM; ++i) {
        const __m512 wv = LoadW(a.w + i * a.w_stride, k);
        const __m512 wv2 = LoadW(a.w + i * a.w_stride, k + 16);
        LH_UNROLL
        for (int j = 0; j < RN; ++j) {
          acc[i][j] = _mm512_fmadd_ps(wv, av[j], acc[i][j]);
          acc2[i][j] = _mm512_fmadd_ps(wv2, av2[j], acc2[i][j]);
        }
      }
    }
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      LH_UNROLL
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_add_ps(acc[i][j], acc2[i][j]);
    }
  }
  for (; k + 16 <= n; k += 16) {
    __m512 av[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) av[j] = LoadA(a.act + j * a.act_stride, k);
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const __m512 wv = LoadW(a.w + i * a.w_stride, k);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_fmadd_ps(wv, av[j], acc[i][j]);
    }
  }
  if (k < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - k)) - 1);
    __m512 av[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) av[j] = LoadATail(a.act + j * a.act_stride, k, m);
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const __m512 wv = LoadWTail(a.w + i * a.w_stride, k, m);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_fmadd_ps(wv, av[j], acc[i][j]);
    }
  }
  StoreTile(a, acc);
}

template <int RM, int RN>
void TileF32T(const TileArgs& a) {
  TileFloat<RM, RN, LoadF32, LoadF32Tail, LoadF32, LoadF32Tail>(a);
}
template <int RM, int RN>
void TileF16T(const TileArgs& a) {
  TileFloat<RM, RN, LoadF16, LoadF16Tail, LoadF32, LoadF32Tail>(a);
}
template <int RM, int RN>
void TileBF16T(const TileArgs& a) {
  TileFloat<RM, RN, LoadBF16, LoadBF16Tail, LoadBF16, LoadBF16Tail>(a);
}

#if LH_AVX512_VNNI
// bf16 x bf16 pairs straight into f32 (vdpbf16ps), 32 values per step.
template <int RM, int RN>
void TileBF16DpT(const TileArgs& a) {
  __m512 acc[RM][RN];
  ZeroTile(acc);
  const int64_t n = a.cols;
  for (int64_t k = 0; k < n; k += 32) {
    const __mmask32 m = n - k >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << (n - k)) - 1);
    __m512i av[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) av[j] = _mm512_maskz_loadu_epi16(m, a.act + j * a.act_stride + 2 * k);
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const __m512i wv = _mm512_maskz_loadu_epi16(m, a.w + i * a.w_stride + 2 * k);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)wv, (__m512bh)av[j]);
      }
    }
  }
  StoreTile(a, acc);
}
#endif

// --- Q8_0 / Q4_0 weights x Q8_0 activations ----------------------------

struct ActQ8_0Ptrs {
  const int8_t* qs;
  const float* d;
  const int32_t* nsum;
};
inline ActQ8_0Ptrs ActQ8_0At(const uint8_t* row, const ActQ8_0Layout& lay) {
  return {reinterpret_cast<const int8_t*>(row), reinterpret_cast<const float*>(row + lay.d_offset),
          reinterpret_cast<const int32_t*>(row + lay.nsum_offset)};
}

// Activations of blocks b (and b+1 when `pair`): values, scales, and the
// per-lane correction (nsum spread over the 8 lanes of its block).
struct ActPair {
  __m512i q;
  __m512 d;
  __m512i nsum;
};
inline ActPair LoadActPair(const ActQ8_0Ptrs& p, int64_t b, bool pair) {
  ActPair r;
  if (pair) {
    r.q = _mm512_loadu_si512(p.qs + 32 * b);
    r.d = FloatPair(p.d[b], p.d[b + 1]);
    r.nsum = IntPair(p.nsum[b], p.nsum[b + 1]);
  } else {
    r.q = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.qs + 32 * b)));
    r.d = FloatPair(p.d[b], 0.0f);
    r.nsum = IntPair(p.nsum[b], 0);
  }
  return r;
}

template <int RM, int RN>
void TileQ8_0T(const TileArgs& a) {
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(a.cols);
  ActQ8_0Ptrs act[RN];
  LH_UNROLL
  for (int j = 0; j < RN; ++j) act[j] = ActQ8_0At(a.act + j * a.act_stride, lay);
  __m512 acc[RM][RN];
  ZeroTile(acc);
  for (int64_t b = 0; b < lay.nb; b += 2) {
    const bool pair = b + 1 < lay.nb;
    ActPair ap[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) ap[j] = LoadActPair(act[j], b, pair);
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const BlockQ8_0* x = reinterpret_cast<const BlockQ8_0*>(a.w + i * a.w_stride) + b;
      const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[0].qs));
      __m512i wv;
      __m512 dw;
      if (pair) {
        wv = Join256(q0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[1].qs)));
        dw = HalfPair(x[0].d, x[1].d);
      } else {
        wv = _mm512_zextsi256_si512(q0);
        dw = HalfPair(x[0].d, 0);
      }
#if LH_AVX512_VNNI
      // (w + 128) is unsigned; the +128 is undone by 16*nsum per lane.
      const __m512i wu = _mm512_xor_si512(wv, _mm512_set1_epi8(static_cast<char>(0x80)));
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_slli_epi32(ap[j].nsum, 4), wu, ap[j].q);
        acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, ap[j].d), acc[i][j]);
      }
#else
      // |w| * (a with w's sign), as maddubs needs one unsigned operand.
      const __m512i ax = _mm512_abs_epi8(wv);
      const __mmask64 neg = _mm512_movepi8_mask(wv);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        const __m512i sy = _mm512_mask_sub_epi8(ap[j].q, neg, _mm512_setzero_si512(), ap[j].q);
        const __m512i dot = _mm512_madd_epi16(_mm512_maddubs_epi16(ax, sy), _mm512_set1_epi16(1));
        acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, ap[j].d), acc[i][j]);
      }
#endif
    }
  }
  StoreTile(a, acc);
}

template <int RM, int RN>
void TileQ4_0T(const TileArgs& a) {
  const ActQ8_0Layout lay = ActQ8_0LayoutFor(a.cols);
  ActQ8_0Ptrs act[RN];
  LH_UNROLL
  for (int j = 0; j < RN; ++j) act[j] = ActQ8_0At(a.act + j * a.act_stride, lay);
  // [q0, q0, q1, q1] by 128-bit lane, then >> [0, 4, 0, 4]: lo0 hi0 lo1 hi1.
  const __m512i spread = _mm512_set_epi64(3, 2, 3, 2, 1, 0, 1, 0);
  const __m512i shifts = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                          0x0004000400040004, 0x0004000400040004, 0, 0);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  __m512 acc[RM][RN];
  ZeroTile(acc);
  for (int64_t b = 0; b < lay.nb; b += 2) {
    const bool pair = b + 1 < lay.nb;
    ActPair ap[RN];
    LH_UNROLL
    for (int j = 0; j < RN; ++j) ap[j] = LoadActPair(act[j], b, pair);
    LH_UNROLL
    for (int i = 0; i < RM; ++i) {
      const BlockQ4_0* x = reinterpret_cast<const BlockQ4_0*>(a.w + i * a.w_stride) + b;
      const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[0].qs));
      const __m128i q1 = pair ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[1].qs)) : _mm_setzero_si128();
      const __m512i qq = _mm512_permutexvar_epi64(spread, _mm512_castsi256_si512(_mm256_set_m128i(q1, q0)));
      const __m512i nib = _mm512_and_si512(_mm512_srlv_epi16(qq, shifts), low4);
      const __m512 dw = HalfPair(x[0].d, pair ? x[1].d : 0);
      LH_UNROLL
      for (int j = 0; j < RN; ++j) {
        // sum((nib - 8) * a) = sum(nib * a) + 8 * nsum; nsum spread over 8 lanes.
#if LH_AVX512_VNNI
        const __m512i dot = _mm512_dpbusd_epi32(ap[j].nsum, nib, ap[j].q);
#else
        const __m512i dot = _mm512_add_epi32(
            _mm512_madd_epi16(_mm512_maddubs_epi16(nib, ap[j].q), _mm512_set1_epi16(1)), ap[j].nsum);
#endif
        acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, ap[j].d), acc[i][j]);
      }
    }
  }
  StoreTile(a, acc);
}

#include "engine/quant/kernels_avx512_kquant.inc"

// --- dispatch -------------------------------------------------------------

// Full 4-row tiles use the RM=4 instantiation; a short last row block is
// done row by row.
inline void Dispatch(const TileArgs& a, const TileFn (&T4)[4], const TileFn (&T1)[4]) {
  if (a.nr == 4) return T4[a.nt - 1](a);
  for (int r = 0; r < a.nr; ++r) {
    TileArgs b = a;
    b.w += r * a.w_stride;
    b.y += r;
    b.nr = 1;
    T1[a.nt - 1](b);
  }
}

#define LH_TILES(Name, RM) \
  { Name<RM, 1>, Name<RM, 2>, Name<RM, 3>, Name<RM, 4> }
#define LH_DEFINE_TILE(Fn, Name)                                  \
  constexpr TileFn Fn##Rows4[4] = LH_TILES(Name, 4);              \
  constexpr TileFn Fn##Rows1[4] = LH_TILES(Name, 1);              \
  void Fn(const TileArgs& a) { Dispatch(a, Fn##Rows4, Fn##Rows1); }

static_assert(kTileRows == 4 && kTileTokens == 4);
LH_DEFINE_TILE(TileF32, TileF32T)
LH_DEFINE_TILE(TileF16, TileF16T)
LH_DEFINE_TILE(TileBF16, TileBF16T)
#if LH_AVX512_VNNI
LH_DEFINE_TILE(TileBF16Dp, TileBF16DpT)
#endif
LH_DEFINE_TILE(TileQ8_0, TileQ8_0T)
LH_DEFINE_TILE(TileQ4_0, TileQ4_0T)
LH_DEFINE_TILE(TileQ4K, TileQ4KT)
LH_DEFINE_TILE(TileQ5K, TileQ5KT)
LH_DEFINE_TILE(TileQ6K, TileQ6KT)

// BF16 weights x f32 activations: rows a BF16 panel leaves over read the
// widened activations the panel reads (kernels.h, PanelKernels::rest).
template <int RM, int RN>
void TileBF16WideT(const TileArgs& a) {
  TileFloat<RM, RN, LoadBF16, LoadBF16Tail, LoadF32, LoadF32Tail>(a);
}
LH_DEFINE_TILE(TileBF16Wide, TileBF16WideT)

#include "engine/quant/kernels_avx512_panel_f.inc"
#if LH_AVX512_VNNI
#include "engine/quant/kernels_avx512_panel.inc"
#include "engine/quant/kernels_avx512_panel_k.inc"
#endif

#include "engine/quant/act_convert_avx512.inc"
#include "engine/quant/vec_avx512.inc"

}  // namespace

const KernelTable* LH_AVX512_TABLE() {
#if LH_AVX512_VNNI
  const bool has_bf16 = DetectCpuFeatures().avx512_bf16;
  static const TileFn bf16 = has_bf16 ? TileBF16Dp : TileBF16;
  static const PanelTable panels = {&kPanelKernelsF32,  &kPanelKernelsF16, &kPanelKernelsBF16,
                                    &kPanelKernelsQ8_0, &kPanelKernelsQ4_0, &kPanelKernelsQ4K,
                                    &kPanelKernelsQ5K,  &kPanelKernelsQ6K};
  static const KernelTable table = {KernelLevel::kAvx512Vnni, TileF32, TileF16, bf16, TileQ8_0, TileQ4_0,
                                    TileQ4K, TileQ5K, TileQ6K, DotF32Avx512, DotF16F32Avx512,
                                    AxpyF32Avx512, AxpyF16Avx512, SwiGluAvx512, ConvertActivationRowAvx512, &panels};
#else
  // Without VNNI only the float panels; the quantized types keep the tiles.
  static const PanelTable panels = {&kPanelKernelsF32, &kPanelKernelsF16, &kPanelKernelsBF16, nullptr, nullptr,
                                    nullptr, nullptr, nullptr};
  static const KernelTable table = {KernelLevel::kAvx512, TileF32, TileF16, TileBF16, TileQ8_0, TileQ4_0,
                                    TileQ4K, TileQ5K, TileQ6K, DotF32Avx512, DotF16F32Avx512,
                                    AxpyF32Avx512, AxpyF16Avx512, SwiGluAvx512, ConvertActivationRowAvx512, &panels};
#endif
  return &table;
}

}  // namespace engine
