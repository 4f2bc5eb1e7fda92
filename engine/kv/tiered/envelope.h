// The selection index: per `unit` of consecutive post-RoPE keys, the
// per-channel min and max (an axis-aligned box), int8, rounded outward.
//
// For a query q, sum_c max(q_c lo_c, q_c hi_c) bounds q.k from above for
// every key k in the unit (Quest). With the box stored as
//   env = [ hi_q (d) | -lo_q (d) ]  int8, value = scale * code,
// and q split into q+ = max(q, 0), q- = max(-q, 0), the bound is the dot
// product [q+ | q-] . env: one u8 x s8 dot of length 2d per unit and query
// head. The query is quantized to u8 with step t; since the bound is
// Lipschitz in q with constant max(|lo_c|, |hi_c|) per channel,
//   bound(q) <= scale * t * (dot(q_u8, env) + half_l1),
//   half_l1 = 0.5 * sum_c max(|lo_q c|, |hi_q c|),
// so the fast int path stays a true upper bound.
//
// index_bits = 4 stores the same box at 4 bits (codes in -7..7, byte c =
// hi_q[c] | -lo_q[c] << 4): half the hot bytes, a looser bound.
//
// The bound holds for keys within the fp16 range; larger (or NaN) keys get
// the widest box the codes allow. Threading: pure functions.
#pragma once

#include <cstdint>

#include "engine/kv/tiered/cold_codec.h"
#include "engine/quant/fp16.h"

namespace engine::kv {

// 4 bytes per unit: the step (fp16, rounded up before the codes were
// computed with it) and L1 = sum_c max(|lo_q|, |hi_q|) (exact integer).
struct UnitMeta {
  uint16_t scale_f16 = 0;
  uint16_t l1 = 0;
  float scale() const;
  float half_l1() const { return 0.5f * static_cast<float>(l1); }
};

inline float UnitMeta::scale() const { return F16ToF32(scale_f16); }

// Bytes of one unit's envelope.
inline int EnvBytes(int d, int bits) { return bits == 4 ? d : 2 * d; }

// keys: [rows][d] post-RoPE. env: [EnvBytes(d, bits)].
void BuildEnvelope(const float* keys, int rows, int d, int bits, int8_t* env, UnitMeta* meta);

// sum_c max(q_c lo_c, q_c hi_c) in float (tests, reference).
float EnvelopeBound(const float* q, const int8_t* env, const UnitMeta& meta, int d, int bits);

struct QuantQuery {
  float step = 0.0f;                 // value of one u8 step
  alignas(32) uint8_t v[2 * kMaxHeadDim];  // [q+ (d) | q- (d)], 0..127
};
void QuantizeQuery(const float* q, int d, QuantQuery* out);

// The int-path bound of one unit (>= EnvelopeBound, see above).
float EnvelopeBoundQuantized(const QuantQuery& q, const int8_t* env, const UnitMeta& meta, int d, int bits);

// out[u] = max over the n_q queries of the int-path bound of unit u, for
// units [0, n_units) of env: [n_units][EnvBytes], meta: [n_units]. Dispatched by
// BestKernelLevel(): AVX-512 VNNI, AVX2, or scalar (all bit-identical: the
// dot is exact in int32).
struct ScoreArgs {
  const QuantQuery* queries;
  int n_queries;
  const int8_t* env;
  const UnitMeta* meta;
  int64_t n_units;
  int head_dim;
  int bits;  // 8 or 4
  float* out;
};
void ScoreUnits(const ScoreArgs& args);

}  // namespace engine::kv
