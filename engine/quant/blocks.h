// Byte layouts of ggml's quantized blocks (as stored in GGUF), and of the
// quantized activation rows the matmul kernels consume.
//
// The helpers here are `static inline` on purpose: this header is also
// compiled into the AVX2/AVX-512 files, and an ordinary inline function
// emitted there could be picked by the linker for baseline code too.
//
// Weight blocks are read in place from the mmap. Every block size is even
// and tensor data is 32-byte aligned, so the 2-byte members are aligned.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/quant/types.h"

namespace engine {

// 32 values: x = d * qs[i].
struct BlockQ8_0 {
  uint16_t d;  // fp16
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// 32 values: x = d * ((nibble) - 8); qs[i] low nibble is value i, high
// nibble is value i + 16.
struct BlockQ4_0 {
  uint16_t d;  // fp16
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

// 256 values in 8 sub-blocks of 32: x = d*sc[j]*q - dmin*m[j], q in 0..15.
// scales packs eight 6-bit (sc, m) pairs (see ScaleMinK4). qs[32*c + l]:
// low nibble is value 64c + l, high nibble value 64c + 32 + l.
struct BlockQ4K {
  uint16_t d;     // fp16, super-block scale of the sub-block scales
  uint16_t dmin;  // fp16, super-block scale of the sub-block mins
  uint8_t scales[12];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4K) == 144);

// As Q4_K with a fifth bit: bit (2c) of qh[l] is the high bit of value
// 64c + l, bit (2c + 1) that of value 64c + 32 + l. q in 0..31.
struct BlockQ5K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ5K) == 176);

// 256 values in 16 groups of 16: x = d * scales[g] * (q - 32), q in 0..63.
// Per half h (128 values): ql[64h + l] low nibble -> value 128h + l, high
// nibble -> 128h + 64 + l (l < 64); qh[32h + l] bits 2k..2k+1 are the top
// two bits of value 128h + 32k + l.
struct BlockQ6K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;  // fp16
};
static_assert(sizeof(BlockQ6K) == 210);

// Sub-block j's 6-bit scale and min from a K-quant `scales` array.
static inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// --- Activation rows (scratch, produced by ConvertActivations) ---------

// Q8_0 activations for one token: `nb` blocks of 32 stored as three
// arrays so SIMD loads are contiguous:
//   qs[nb*32] int8 | pad to 64 | d[nb] float (fp16-rounded scale) | nsum[nb] int32
// nsum[b] = -sum(qs of block b); kernels use it to undo the +8 offset of
// Q4_0 nibbles and the +128 offset of unsigned Q8_0 weights.
struct ActQ8_0Layout {
  int64_t nb;
  int64_t d_offset;
  int64_t nsum_offset;
  int64_t row_bytes;  // multiple of 64
};
static constexpr int64_t AlignUp64(int64_t n) { return (n + 63) & ~int64_t{63}; }
static inline ActQ8_0Layout ActQ8_0LayoutFor(int64_t cols) {
  ActQ8_0Layout l;
  l.nb = cols / 32;
  l.d_offset = AlignUp64(l.nb * 32);
  l.nsum_offset = l.d_offset + l.nb * 4;
  l.row_bytes = AlignUp64(l.nsum_offset + l.nb * 4);
  return l;
}

// Q8_K activations: ggml's block_q8_K content, padded to 64-byte blocks.
// x ~= d * qs[i]; bsums[g] = sum of qs[16g .. 16g+15].
struct ActQ8K {
  int8_t qs[256];
  int16_t bsums[16];
  float d;
  uint8_t pad[28];
};
static_assert(sizeof(ActQ8K) == 320);

}  // namespace engine
