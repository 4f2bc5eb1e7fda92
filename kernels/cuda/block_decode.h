// Decoding of ggml's weight blocks (engine/quant/blocks.h layouts), 32
// consecutive values of a row at a time, shared by the device kernels and
// the host: the CPU test (tests/engine/quant/block_decode_test.cc) holds
// the host path bit-identical to engine::DequantizeRow, and the device
// path differs only where noted (fp16 via cvt, loads wider than a byte).
//
// Compiled by g++ and nvcc, so no CUDA header or type appears here.
//
// Alignment: row pointers must be as aligned as a block allows, which the
// device buffers (cudaMalloc, 256 bytes) and GGUF tensor data (32 bytes)
// give: 4 bytes for F32 rows, 16 for Q4_K/Q5_K rows (144- and 176-byte
// blocks), 2 for the rest (Q8_0 34, Q4_0 18 and Q6_K 210 bytes; F16/BF16).
// The host path reads bytes only and needs none of it.
//
// Chunk c of a row is values [32c, 32c + 32); for the float formats the
// row's last chunk may be partial, and Value reads single values.
#pragma once

#include <cstdint>
#if !defined(__CUDA_ARCH__)
#include <cstring>
#endif

#ifndef LH_HD
#if defined(__CUDACC__)
#define LH_HD __host__ __device__ __forceinline__
#else
#define LH_HD inline
#endif
#endif

// Fixed-count loops unroll on the device, so decoded values stay in
// registers (a run-time index would move them to local memory).
#ifndef LH_UNROLL
#if defined(__CUDACC__)
#define LH_UNROLL _Pragma("unroll")
#else
#define LH_UNROLL
#endif
#endif

namespace kernels {
namespace block_decode {

LH_HD float FloatFromBits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

LH_HD uint32_t BitsOf(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

// Little-endian 16-bit value from two bytes (any alignment).
LH_HD uint32_t Load16(const uint8_t* p) { return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8); }

// 32 bits from a 2-byte aligned address (two 16-bit loads on the device).
LH_HD uint32_t Load32A2(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
  return static_cast<uint32_t>(h[0]) | (static_cast<uint32_t>(h[1]) << 16);
#else
  return Load16(p) | (Load16(p + 2) << 16);
#endif
}

// 32 bits from a 4-byte aligned address.
LH_HD uint32_t Load32A4(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const uint32_t*>(p);
#else
  return Load32A2(p);
#endif
}

// 128 bits from a 16-byte aligned address: one vector load on the device.
struct alignas(16) Words4 {
  uint32_t w[4];
};
LH_HD Words4 Load128A16(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const Words4*>(p);
#else
  Words4 r;
  LH_UNROLL
  for (int i = 0; i < 4; ++i) r.w[i] = Load32A2(p + 4 * i);
  return r;
#endif
}

// IEEE half -> float, exact, with engine::F16ToF32's bits (NaNs made
// quiet). The host path renormalizes subnormals by an exact subtraction
// instead of a loop.
LH_HD float HalfToFloat(uint32_t h) {
#if defined(__CUDA_ARCH__)
  float f;
  const unsigned short hs = static_cast<unsigned short>(h);
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(hs));
  return f;
#else
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t o = (h & 0x7fffu) << 13;  // exponent and mantissa, rebiased below
  const uint32_t exp = o & 0x0f800000u;
  o += (127u - 15u) << 23;
  if (exp == 0x0f800000u) {  // inf or NaN
    o += (128u - 16u) << 23;
    if ((h & 0x3ffu) != 0) o |= 0x400000u;
    return FloatFromBits(o | sign);
  }
  if (exp == 0) {  // zero or subnormal: (1.m - 1) * 2^-14, exact in float
    o += 1u << 23;
    return FloatFromBits(BitsOf(FloatFromBits(o) - FloatFromBits(113u << 23)) | sign);
  }
  return FloatFromBits(o | sign);
#endif
}

LH_HD float Bf16ToFloat(uint32_t h) { return FloatFromBits((h & 0xffffu) << 16); }

// q (< 2^23) as a float, exact: one OR and one add where an int-to-float
// conversion would run at a quarter of the FMA rate on the device.
LH_HD float SmallUintToFloat(uint32_t q) { return FloatFromBits(0x4b000000u | q) - 8388608.0f; }
// A signed byte (the low 8 bits of b) as a float, exact.
LH_HD float Int8ToFloat(uint32_t b) { return FloatFromBits(0x4b000000u | ((b & 0xffu) ^ 0x80u)) - 8388736.0f; }

// a * b and a * b - c rounded per operation, as engine/quant/dequant.cc
// (built without FMA) computes them: nvcc would otherwise fuse them.
LH_HD float MulRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
LH_HD float MulSubRn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(__fmul_rn(a, b), c);
#else
  const float p = a * b;
  return p - c;
#endif
}

LH_HD float Dot32(const float* w, const float* x) {
  float s = 0.0f;
  LH_UNROLL
  for (int i = 0; i < 32; ++i) s += w[i] * x[i];
  return s;
}

// Sub-block j's 6-bit scale and min (ggml's get_scale_min_k4).
LH_HD void ScaleMinK4(int j, const uint8_t* q, uint32_t* sc, uint32_t* m) {
  if (j < 4) {
    *sc = q[j] & 63u;
    *m = q[j + 4] & 63u;
  } else {
    *sc = (q[j + 4] & 0xfu) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// --- One struct per weight format: DecodeChunk32 writes out[32] (values
// 32c .. 32c+31 of the row) bit-identical to engine::DequantizeRow on the
// host; DotChunk32 returns sum_i value_i * x[i] over the same values, in
// whatever order suits the format (not bit-exact with anything).

struct F32Format {
  static constexpr int kBlockValues = 1;
  static constexpr int kBlockBytes = 4;
  static LH_HD float Value(const uint8_t* row, int64_t i) { return FloatFromBits(Load32A4(row + 4 * i)); }
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const uint8_t* p = row + chunk * 128;
    LH_UNROLL
    for (int i = 0; i < 32; ++i) out[i] = FloatFromBits(Load32A4(p + 4 * i));
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    float w[32];
    DecodeChunk32(row, chunk, w);
    return Dot32(w, x);
  }
};

struct F16Format {
  static constexpr int kBlockValues = 1;
  static constexpr int kBlockBytes = 2;
  static LH_HD float Value(const uint8_t* row, int64_t i) { return HalfToFloat(Load16(row + 2 * i)); }
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const uint8_t* p = row + chunk * 64;
    LH_UNROLL
    for (int i = 0; i < 16; ++i) {
      const uint32_t v = Load32A2(p + 4 * i);
      out[2 * i] = HalfToFloat(v & 0xffffu);
      out[2 * i + 1] = HalfToFloat(v >> 16);
    }
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    float w[32];
    DecodeChunk32(row, chunk, w);
    return Dot32(w, x);
  }
};

struct BF16Format {
  static constexpr int kBlockValues = 1;
  static constexpr int kBlockBytes = 2;
  static LH_HD float Value(const uint8_t* row, int64_t i) { return Bf16ToFloat(Load16(row + 2 * i)); }
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const uint8_t* p = row + chunk * 64;
    LH_UNROLL
    for (int i = 0; i < 16; ++i) {
      const uint32_t v = Load32A2(p + 4 * i);
      out[2 * i] = Bf16ToFloat(v);
      out[2 * i + 1] = FloatFromBits(v & 0xffff0000u);
    }
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    float w[32];
    DecodeChunk32(row, chunk, w);
    return Dot32(w, x);
  }
};

// 34-byte blocks: fp16 d, 32 int8 q; x = q * d.
struct Q8_0Format {
  static constexpr int kBlockValues = 32;
  static constexpr int kBlockBytes = 34;
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const uint8_t* b = row + chunk * kBlockBytes;
    const float d = HalfToFloat(Load16(b));
    LH_UNROLL
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = Load32A2(b + 2 + 4 * i);
      LH_UNROLL
      for (int k = 0; k < 4; ++k) out[4 * i + k] = MulRn(Int8ToFloat(q >> (8 * k)), d);
    }
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    const uint8_t* b = row + chunk * kBlockBytes;
    float s = 0.0f;
    LH_UNROLL
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = Load32A2(b + 2 + 4 * i);
      LH_UNROLL
      for (int k = 0; k < 4; ++k) s += Int8ToFloat(q >> (8 * k)) * x[4 * i + k];
    }
    return s * HalfToFloat(Load16(b));
  }
};

// 18-byte blocks: fp16 d, 16 bytes of nibbles (low: value i, high: i + 16);
// x = (nibble - 8) * d.
struct Q4_0Format {
  static constexpr int kBlockValues = 32;
  static constexpr int kBlockBytes = 18;
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const uint8_t* b = row + chunk * kBlockBytes;
    const float d = HalfToFloat(Load16(b));
    LH_UNROLL
    for (int i = 0; i < 4; ++i) {
      const uint32_t q = Load32A2(b + 2 + 4 * i);
      LH_UNROLL
      for (int k = 0; k < 4; ++k) {
        out[4 * i + k] = MulRn(SmallUintToFloat((q >> (8 * k)) & 0xfu) - 8.0f, d);
        out[4 * i + k + 16] = MulRn(SmallUintToFloat((q >> (8 * k + 4)) & 0xfu) - 8.0f, d);
      }
    }
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    const uint8_t* b = row + chunk * kBlockBytes;
    float s = 0.0f;
    LH_UNROLL
    for (int i = 0; i < 4; ++i) {
      const uint32_t q = Load32A2(b + 2 + 4 * i);
      LH_UNROLL
      for (int k = 0; k < 4; ++k) {
        s += (SmallUintToFloat((q >> (8 * k)) & 0xfu) - 8.0f) * x[4 * i + k];
        s += (SmallUintToFloat((q >> (8 * k + 4)) & 0xfu) - 8.0f) * x[4 * i + k + 16];
      }
    }
    return s * HalfToFloat(Load16(b));
  }
};

// K-quants: 256-value super-blocks, chunk c is sub-block (c % 8) of block
// c / 8. The (scale, offset) of a chunk: x = scale * q - offset.
struct KChunk {
  const uint8_t* block;
  int sub;  // 0..7
};
LH_HD KChunk KChunkOf(const uint8_t* row, int64_t chunk, int block_bytes) {
  return KChunk{row + (chunk >> 3) * block_bytes, static_cast<int>(chunk & 7)};
}
// Q4_K and Q5_K: fp16 d at 0, fp16 dmin at 2, 12 scale bytes at 4.
LH_HD void K4ScaleMin(const KChunk& c, float* scale, float* offset) {
  uint32_t sc, m;
  ScaleMinK4(c.sub, c.block + 4, &sc, &m);
  *scale = MulRn(HalfToFloat(Load16(c.block)), SmallUintToFloat(sc));
  *offset = MulRn(HalfToFloat(Load16(c.block + 2)), SmallUintToFloat(m));
}

// 144-byte blocks: d, dmin, scales[12], qs[128] at 16. Sub-block j reads
// qs[32 * (j / 2) + l], low nibble for even j, high for odd.
struct Q4_KFormat {
  static constexpr int kBlockValues = 256;
  static constexpr int kBlockBytes = 144;
  // The 32 4-bit q of a chunk, as float, into q[32].
  static LH_HD void Quants(const KChunk& c, float* q) {
    const uint8_t* qs = c.block + 16 + 32 * (c.sub >> 1);
    const int shift = 4 * (c.sub & 1);
    LH_UNROLL
    for (int h = 0; h < 2; ++h) {
      const Words4 v = Load128A16(qs + 16 * h);
      LH_UNROLL
      for (int i = 0; i < 4; ++i)
        LH_UNROLL
        for (int k = 0; k < 4; ++k) q[16 * h + 4 * i + k] = SmallUintToFloat((v.w[i] >> (8 * k + shift)) & 0xfu);
    }
  }
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const KChunk c = KChunkOf(row, chunk, kBlockBytes);
    float scale, offset;
    K4ScaleMin(c, &scale, &offset);
    Quants(c, out);
    LH_UNROLL
    for (int l = 0; l < 32; ++l) out[l] = MulSubRn(scale, out[l], offset);
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    const KChunk c = KChunkOf(row, chunk, kBlockBytes);
    float scale, offset, q[32];
    K4ScaleMin(c, &scale, &offset);
    Quants(c, q);
    float sq = 0.0f, sx = 0.0f;
    LH_UNROLL
    for (int l = 0; l < 32; ++l) {
      sq += q[l] * x[l];
      sx += x[l];
    }
    return scale * sq - offset * sx;
  }
};

// 176-byte blocks: d, dmin, scales[12], qh[32] at 16, qs[128] at 48.
// As Q4_K, plus bit j of qh[l] as the fifth bit (16) of sub-block j.
struct Q5_KFormat {
  static constexpr int kBlockValues = 256;
  static constexpr int kBlockBytes = 176;
  static LH_HD void Quants(const KChunk& c, float* q) {
    const uint8_t* qs = c.block + 48 + 32 * (c.sub >> 1);
    const uint8_t* qh = c.block + 16;
    const int shift = 4 * (c.sub & 1);
    LH_UNROLL
    for (int h = 0; h < 2; ++h) {
      const Words4 v = Load128A16(qs + 16 * h);
      const Words4 hi = Load128A16(qh + 16 * h);
      LH_UNROLL
      for (int i = 0; i < 4; ++i)
        LH_UNROLL
        for (int k = 0; k < 4; ++k) {
          const uint32_t lo4 = (v.w[i] >> (8 * k + shift)) & 0xfu;
          const uint32_t bit = (hi.w[i] >> (8 * k + c.sub)) & 1u;
          q[16 * h + 4 * i + k] = SmallUintToFloat(lo4 | (bit << 4));
        }
    }
  }
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const KChunk c = KChunkOf(row, chunk, kBlockBytes);
    float scale, offset;
    K4ScaleMin(c, &scale, &offset);
    Quants(c, out);
    LH_UNROLL
    for (int l = 0; l < 32; ++l) out[l] = MulSubRn(scale, out[l], offset);
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    const KChunk c = KChunkOf(row, chunk, kBlockBytes);
    float scale, offset, q[32];
    K4ScaleMin(c, &scale, &offset);
    Quants(c, q);
    float sq = 0.0f, sx = 0.0f;
    LH_UNROLL
    for (int l = 0; l < 32; ++l) {
      sq += q[l] * x[l];
      sx += x[l];
    }
    return scale * sq - offset * sx;
  }
};

// 210-byte blocks: ql[128], qh[64] at 128, int8 scales[16] at 192, fp16 d
// at 208. Sub-block j = 4h + k holds values 128h + 32k + l: ql[64h + 32(k
// & 1) + l], low nibble for k < 2, high otherwise; qh[32h + l] bits 2k,
// 2k+1 on top; q - 32 scaled by d * scales[8h + 2k + l / 16].
struct Q6_KFormat {
  static constexpr int kBlockValues = 256;
  static constexpr int kBlockBytes = 210;
  // q - 32 of a chunk's 32 values, as float.
  static LH_HD void Quants(const KChunk& c, float* q) {
    const int h = c.sub >> 2, k = c.sub & 3;
    const uint8_t* ql = c.block + 64 * h + 32 * (k & 1);
    const uint8_t* qh = c.block + 128 + 32 * h;
    const int lshift = 4 * (k >> 1), hshift = 2 * k;
    LH_UNROLL
    for (int i = 0; i < 8; ++i) {
      const uint32_t lo = Load32A2(ql + 4 * i);
      const uint32_t hi = Load32A2(qh + 4 * i);
      LH_UNROLL
      for (int b = 0; b < 4; ++b) {
        const uint32_t v = ((lo >> (8 * b + lshift)) & 0xfu) | (((hi >> (8 * b + hshift)) & 3u) << 4);
        q[4 * i + b] = SmallUintToFloat(v) - 32.0f;
      }
    }
  }
  // d * scales of the chunk's two groups of 16.
  static LH_HD void Scales(const KChunk& c, float* s0, float* s1) {
    const int g = 8 * (c.sub >> 2) + 2 * (c.sub & 3);
    const float d = HalfToFloat(Load16(c.block + 208));
    *s0 = MulRn(d, Int8ToFloat(c.block[192 + g]));
    *s1 = MulRn(d, Int8ToFloat(c.block[192 + g + 1]));
  }
  static LH_HD void DecodeChunk32(const uint8_t* row, int64_t chunk, float* out) {
    const KChunk c = KChunkOf(row, chunk, kBlockBytes);
    float s0, s1;
    Scales(c, &s0, &s1);
    Quants(c, out);
    LH_UNROLL
    for (int l = 0; l < 16; ++l) out[l] = MulRn(s0, out[l]);
    LH_UNROLL
    for (int l = 16; l < 32; ++l) out[l] = MulRn(s1, out[l]);
  }
  static LH_HD float DotChunk32(const uint8_t* row, int64_t chunk, const float* x) {
    const KChunk c = KChunkOf(row, chunk, kBlockBytes);
    float s0, s1, q[32];
    Scales(c, &s0, &s1);
    Quants(c, q);
    float a0 = 0.0f, a1 = 0.0f;
    LH_UNROLL
    for (int l = 0; l < 16; ++l) {
      a0 += q[l] * x[l];
      a1 += q[l + 16] * x[l + 16];
    }
    return s0 * a0 + s1 * a1;
  }
};

}  // namespace block_decode
}  // namespace kernels
