// Synthetic keys and values for the KV benchmarks, deterministic per
// (seed, position) so long haystacks can be streamed in chunks.
//
// Keys: Gaussian per channel, with a fixed 30% of the RoPE pairs at a
// higher scale (outlier channels, as real keys have), optionally scaled to
// a fixed norm; rotated by RoPE at their position. Values: Gaussian.
//
// Threading: a SynthStream is immutable after construction.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kv/tiered/cold_codec.h"
#include "engine/kv/tiered/rope_table.h"

namespace engine::kv {

struct SynthSpec {
  int head_dim = 128;
  int n_head_kv = 1;
  float rope_base = 1e4f;
  float outlier_fraction = 0.3f;  // share of RoPE pairs at outlier_scale
  float outlier_scale = 3.0f;
  float key_norm = 0.0f;          // > 0: every key scaled to this norm
  uint64_t seed = 1;
};

class SynthStream {
 public:
  explicit SynthStream(const SynthSpec& spec);

  // Rows [first, first + n): k_pre, k_post, v: [n][n_head_kv * head_dim]
  // (any may be null).
  void Generate(int64_t first, int64_t n, float* k_pre, float* k_post, float* v) const;
  // One key-shaped vector from an arbitrary stream id (needles, queries).
  void RandomKey(uint64_t id, float* out) const;
  // Rotates x: [head_dim] to position pos.
  void Rotate(int64_t pos, float* x) const;

  const SynthSpec& spec() const { return spec_; }
  const KvRope& rope() const { return rope_; }

 private:
  SynthSpec spec_;
  KvRope rope_;
  RopeTable table_;
  std::vector<float> channel_scale_;  // [head_dim]
};

// Standard normal from a counter-based generator (splitmix64 + Box-Muller).
float SynthNormal(uint64_t key, uint64_t index);

}  // namespace engine::kv
