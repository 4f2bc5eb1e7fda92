// The tiered KV cache's per-element math, shared by the device kernels
// (tiered_*.cu) and the CPU test that checks them against the CPU cache
// (tests/engine/kv/tiered_math_test.cc). Compiles under g++ and nvcc; no
// CUDA header or type appears here.
//
// Every function reproduces the CPU implementation's arithmetic operation
// by operation (engine/kv/tiered/*.cc), so that the device selects the
// same units from the same bytes:
//   - products and sums that the CPU computes unfused stay unfused on the
//     device (MulRn/AddRn/SubRn: nvcc would otherwise contract a*b+c);
//   - the cold codec's dequantization is fmaf, as the CPU's AVX2 path
//     (every host of a Hopper GPU has AVX2; the SSE2-only scalar path
//     rounds once more);
//   - the envelope dot is exact in int32 on both sides.
// That makes the Quest stage's selection the CPU's. The re-rank stage is
// not bit-exact: its log-sum-exp accumulates in another order (and with
// expf/logf) than the CPU's SIMD dot and std::exp, so two units whose
// re-rank scores tie to a few ulps may swap; the [gpu] tests compare
// attention outputs with a tolerance for that reason.
// Threading: pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if !defined(LH_HD)
#if defined(__CUDACC__)
#define LH_HD __host__ __device__ __forceinline__
#else
#define LH_HD inline
#endif
#endif

namespace kernels::tiered {

inline constexpr int kRopeDigitBits = 10;
inline constexpr int kRopeDigit = 1 << kRopeDigitBits;

LH_HD uint32_t FloatBits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
LH_HD float BitsFloat(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

// Correctly rounded single operations that nvcc may not fuse.
LH_HD float MulRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
LH_HD float AddRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
LH_HD float SubRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

// engine/quant/fp16.h's F16ToF32, bit for bit (NaN made quiet).
LH_HD float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return BitsFloat(sign | 0x7f800000u | (mant != 0 ? 0x400000u : 0u) | (mant << 13));
  if (exp != 0) return BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return BitsFloat(sign);
  uint32_t e = 113;
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    --e;
  }
  return BitsFloat(sign | (e << 23) | ((mant & 0x3ffu) << 13));
}

// engine/quant/fp16.h's F32ToF16 (round to nearest even), bit for bit, so
// the device ring holds the host ring's bytes.
LH_HD uint16_t FloatToHalf(float f) {
  const uint32_t x = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) {
    if (ax == 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u);
    return static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
  }
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (ax >= 0x38800000u) {
    const uint32_t m = ax - 0x38000000u;
    return static_cast<uint16_t>(sign | ((m + 0xfffu + ((m >> 13) & 1u)) >> 13));
  }
  const uint32_t e = ax >> 23;
  if (e < 102) return sign;
  const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - e;
  uint32_t q = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  return static_cast<uint16_t>(sign | q);
}

// --- Selection index (engine/kv/tiered/envelope.cc) ---

// The u8 code of query channel value x with inverse step inv (QuantizeQuery):
// positive codes go to q+, negative to q-. nearbyint under the default
// rounding mode is round-half-even, as rintf.
LH_HD int QueryCode(float x, float inv) {
  float r = rintf(MulRn(x, inv));
  r = r == r ? fminf(fmaxf(r, -127.0f), 127.0f) : 0.0f;
  return static_cast<int>(r);
}
// The step of a query with largest magnitude amax.
// amax >= 0 or NaN; amax <= FLT_MAX is isfinite for those.
LH_HD float QueryStep(float amax) { return amax > 1e-30f && amax <= 3.40282347e38f ? amax / 127.0f : 1.0f; }

// Four s8 products summed into c (the dp4a instruction on the device).
LH_HD int Dp4a(uint32_t a, uint32_t b, int c) {
#if defined(__CUDA_ARCH__)
  return __dp4a(static_cast<int>(a), static_cast<int>(b), c);
#else
  for (int i = 0; i < 4; ++i) {
    c += static_cast<int>(static_cast<int8_t>(a >> (8 * i))) * static_cast<int>(static_cast<int8_t>(b >> (8 * i)));
  }
  return c;
#endif
}

// dot([q+ | q-], env) in int32, env: EnvBytes(d, bits) bytes, q: [2d]
// bytes (0..127). Words are read 4 bytes at a time; d % 4 == 0 takes the
// word path, other widths the byte path. qsum = sum of all 2d query codes
// (the 4-bit path offsets its nibbles by 8 to keep them non-negative).
LH_HD int EnvDot(const uint8_t* q, int qsum, const int8_t* env, int d, int bits) {
  int s = 0;
  if (d % 4 == 0) {
    if (bits == 8) {
      for (int i = 0; i < 2 * d; i += 4) {
        uint32_t qa, ea;
        memcpy(&qa, q + i, 4);
        memcpy(&ea, env + i, 4);
        s = Dp4a(qa, ea, s);
      }
      return s;
    }
    for (int i = 0; i < d; i += 4) {
      uint32_t qp, qm, e;
      memcpy(&qp, q + i, 4);
      memcpy(&qm, q + d + i, 4);
      memcpy(&e, env + i, 4);
      s = Dp4a(qp, (e & 0x0f0f0f0fu) ^ 0x08080808u, s);          // hi_q + 8
      s = Dp4a(qm, ((e >> 4) & 0x0f0f0f0fu) ^ 0x08080808u, s);   // -lo_q + 8
    }
    return s - 8 * qsum;
  }
  if (bits == 8) {
    for (int i = 0; i < 2 * d; ++i) s += static_cast<int>(q[i]) * env[i];
    return s;
  }
  for (int i = 0; i < d; ++i) {
    const uint32_t b = static_cast<uint8_t>(env[i]);
    s += static_cast<int>(q[i]) * ((static_cast<int>(b & 15) ^ 8) - 8) +
         static_cast<int>(q[d + i]) * ((static_cast<int>((b >> 4) & 15) ^ 8) - 8);
  }
  return s;
}

// UnitMeta packed as one word: scale_f16 in the low half, l1 in the high.
// One query's int-path bound before the unit's scale: step * (dot + l1 / 2).
LH_HD float QueryBound(float step, int dot, uint32_t meta) {
  return step * (static_cast<float>(dot) + 0.5f * static_cast<float>(meta >> 16));
}
LH_HD float UnitScale(uint32_t meta) { return HalfToFloat(static_cast<uint16_t>(meta & 0xffffu)); }

// Sort key of (score, unit) for selection: higher score first, ties to
// the later unit, NaN as -inf, -0 as +0 (the CPU compares with >).
LH_HD uint64_t SelectKey(float score, int64_t unit) {
  if (!(score == score)) score = -INFINITY;
  if (score == 0.0f) score = 0.0f;
  const uint32_t b = FloatBits(score);
  const uint32_t ordered = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  return (static_cast<uint64_t>(ordered) << 32) | static_cast<uint32_t>(unit);
}

// --- Cold codec (engine/kv/tiered/cold_codec.cc) ---

struct ColdGeometry {
  int tokens = 0;    // T
  int head_dim = 0;  // d
  int bits = 4;      // 4 or 16
  int v_group = 0;   // channels per V scale group
  int64_t k_bytes = 0;
  int64_t head_bytes = 0;  // one KV head's slice of a block
};

LH_HD uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

// Pre-RoPE key channel c of row `row` of a head slice.
LH_HD float ColdK(const ColdGeometry& l, const uint8_t* head, int row, int c) {
  const int d = l.head_dim;
  if (l.bits == 16) return HalfToFloat(Load16(head + (static_cast<int64_t>(row) * d + c) * 2));
  const float mn = HalfToFloat(Load16(head + 2 * c));
  const float step = HalfToFloat(Load16(head + 2 * (d + c)));
  const int h = d / 2;
  const uint8_t b = head[4 * d + static_cast<int64_t>(row) * h + (c < h ? c : c - h)];
  return fmaf(step, static_cast<float>(c < h ? (b & 15) : (b >> 4)), mn);
}

// Value channel c of row `row` of a head slice.
LH_HD float ColdV(const ColdGeometry& l, const uint8_t* head, int row, int c) {
  const int d = l.head_dim;
  if (l.bits == 16) return HalfToFloat(Load16(head + l.k_bytes + (static_cast<int64_t>(row) * d + c) * 2));
  const int g = l.v_group, n_groups = d / g, gi = c / g, cc = c - gi * g;
  const uint8_t* params = head + l.k_bytes + (static_cast<int64_t>(row) * n_groups + gi) * 4;
  const float mn = HalfToFloat(Load16(params)), step = HalfToFloat(Load16(params + 2));
  const uint8_t* codes = head + l.k_bytes + static_cast<int64_t>(l.tokens) * n_groups * 4;  // [T][d/2]
  const uint8_t b = codes[static_cast<int64_t>(row) * d / 2 + gi * g / 2 + cc % (g / 2)];
  return fmaf(step, static_cast<float>(cc < g / 2 ? (b & 15) : (b >> 4)), mn);
}

// --- RoPE re-rotation (engine/kv/tiered/rope_table.cc) ---

// The digit tables of RopeTable: digits[k][digit][pair][cos, sin] for
// k = 0..2, and the frequencies for positions outside [0, 2^30).
struct RopeView {
  const float* digits = nullptr;  // [3][kRopeDigit][n_rot_half][2]
  const double* freq = nullptr;   // [n_rot_half]
  int n_rot_half = 0;
  int half = 0;           // head_dim / 2
  bool adjacent = true;   // pairs (2i, 2i+1); else (i, i + half)
};

// cos and sin of pos * f_i for rotated pair i < n_rot_half, composed from
// the three digits as RopeTable::Angles (and RotateRun, which equals it).
LH_HD void PairAngle(const RopeView& r, int64_t pos, int i, float* cos_out, float* sin_out) {
  if (pos < 0 || pos >= (int64_t{1} << (3 * kRopeDigitBits))) {
    const double theta = static_cast<double>(pos) * r.freq[i];
    *cos_out = static_cast<float>(cos(theta));
    *sin_out = static_cast<float>(sin(theta));
    return;
  }
  const int64_t stride = static_cast<int64_t>(kRopeDigit) * r.n_rot_half * 2;
  const float* a = r.digits + 2 * stride + (((pos >> (2 * kRopeDigitBits)) & (kRopeDigit - 1)) * r.n_rot_half + i) * 2;
  const float* b = r.digits + stride + (((pos >> kRopeDigitBits) & (kRopeDigit - 1)) * r.n_rot_half + i) * 2;
  const float* c = r.digits + ((pos & (kRopeDigit - 1)) * r.n_rot_half + i) * 2;
  const float abr = SubRn(MulRn(a[0], b[0]), MulRn(a[1], b[1]));
  const float abi = AddRn(MulRn(a[0], b[1]), MulRn(a[1], b[0]));
  *cos_out = SubRn(MulRn(abr, c[0]), MulRn(abi, c[1]));
  *sin_out = AddRn(MulRn(abr, c[1]), MulRn(abi, c[0]));
}

// Channels of pair i.
LH_HD int PairA(const RopeView& r, int i) { return r.adjacent ? 2 * i : i; }
LH_HD int PairB(const RopeView& r, int i) { return r.adjacent ? 2 * i + 1 : i + r.half; }

// Rotates the pair (x_a, x_b) by (c, s) as RopeTable::Apply.
LH_HD void RotatePair(float c, float s, float* xa, float* xb) {
  const float a = *xa, b = *xb;
  *xa = SubRn(MulRn(a, c), MulRn(b, s));
  *xb = AddRn(MulRn(a, s), MulRn(b, c));
}

// Post-RoPE key pair i of cold row `row` rotated at position rot_pos.
LH_HD void ColdKeyPair(const ColdGeometry& l, const uint8_t* head, int row, const RopeView& r, int64_t rot_pos,
                       int i, float* ka, float* kb) {
  *ka = ColdK(l, head, row, PairA(r, i));
  *kb = ColdK(l, head, row, PairB(r, i));
  if (i < r.n_rot_half) {
    float c, s;
    PairAngle(r, rot_pos, i, &c, &s);
    RotatePair(c, s, ka, kb);
  }
}

// Rows of unit u inside the far range [n_sink, far_end): [*lo, *hi).
LH_HD void FarRows(int64_t u, int unit, int64_t n_sink, int64_t far_end, int64_t* lo, int64_t* hi) {
  const int64_t a = u * unit > n_sink ? u * unit : n_sink;
  const int64_t b = u * unit + unit < far_end ? u * unit + unit : far_end;
  *lo = a;
  *hi = b > a ? b : a;
}

}  // namespace kernels::tiered
