// Shared helpers for the KV cache tests: synthetic keys/values with RoPE
// computed independently in double, and exact attention in double.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "engine/kv/attention_cache.h"
#include "engine/kv/factory.h"

namespace kvtest {

struct Geometry {
  int n_layer = 1;
  int n_head = 4;
  int n_head_kv = 2;
  int head_dim = 32;
  int64_t capacity = 1024;
  engine::KvRope rope;  // freq_base 1e4, adjacent pairs, no trained length
};

engine::AttentionCacheConfig ConfigFor(const Geometry& g);

// Keys, values and queries for positions [0, n) of one layer.
struct Sequence {
  int64_t n = 0;
  std::vector<float> k_pre;   // [n][n_head_kv * d]
  std::vector<float> k_post;  // [n][n_head_kv * d]
  std::vector<float> v;       // [n][n_head_kv * d]
  std::vector<float> q;       // [n][n_head * d], post-RoPE
};

// Rotates x: [d] by position pos in double (the RoPE definition).
void RotateExact(const engine::KvRope& rope, int d, double pos, float* x);

// Gaussian keys (channels in `outliers` scaled by outlier_scale), values
// and queries; keys and queries rotated at their positions.
Sequence RandomSequence(const Geometry& g, int64_t n, uint32_t seed, float outlier_scale = 1.0f);
// Recomputes k_post and q from k_pre and the unrotated queries.
void RotateSequence(const Geometry& g, Sequence* s, const std::vector<float>& q_pre);

// Rounds every element through fp16 (what an fp16 cache stores).
std::vector<float> RoundF16(const std::vector<float>& x);

// Exact causal attention of query rows [first, first + n) against keys
// [0, pos] (each key row taken from `k`), in double. out: [n][n_head * d].
std::vector<float> ExactAttention(const Geometry& g, const std::vector<float>& q, const std::vector<float>& k,
                                  const std::vector<float>& v, int64_t first, int64_t n);

// Stores positions [first, first + n) of `s` into layer `layer` of `cache`.
engine::KvChunk ChunkOf(const Geometry& g, const Sequence& s, int layer, int64_t first, int64_t n);
engine::AttentionBatch BatchOf(const Geometry& g, const Sequence& s, int layer, int64_t first, int64_t n,
                               float* out);

// max |a - b| / max |b|.
double RelMaxError(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace kvtest
