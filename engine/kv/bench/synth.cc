#include "engine/kv/bench/synth.h"

#include <algorithm>
#include <cmath>

namespace engine::kv {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

double Uniform(uint64_t bits) { return (static_cast<double>(bits >> 11) + 0.5) * 0x1p-53; }

}  // namespace

float SynthNormal(uint64_t key, uint64_t index) {
  const uint64_t pair = SplitMix(key * 0x2545f4914f6cdd1dull + (index >> 1));
  const double u1 = Uniform(SplitMix(pair)), u2 = Uniform(SplitMix(pair ^ 0x5851f42d4c957f2dull));
  const double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
  return static_cast<float>((index & 1) ? r * std::sin(a) : r * std::cos(a));
}

SynthStream::SynthStream(const SynthSpec& spec) : spec_(spec) {
  rope_.n_rot = spec.head_dim;
  rope_.freq_base = spec.rope_base;
  table_.Init(spec.head_dim, rope_);
  channel_scale_.assign(static_cast<size_t>(spec.head_dim), 1.0f);
  const int pairs = spec.head_dim / 2;
  const int outliers = static_cast<int>(std::lround(spec.outlier_fraction * pairs));
  // A fixed, spread-out choice of pairs (both channels of a pair, so the
  // scale survives rotation).
  for (int j = 0; j < outliers; ++j) {
    const int pair = static_cast<int>((static_cast<int64_t>(j) * pairs) / std::max(1, outliers));
    channel_scale_[static_cast<size_t>(2 * pair)] = spec.outlier_scale;
    channel_scale_[static_cast<size_t>(2 * pair + 1)] = spec.outlier_scale;
  }
}

void SynthStream::RandomKey(uint64_t id, float* out) const {
  const int d = spec_.head_dim;
  double norm2 = 0;
  for (int c = 0; c < d; ++c) {
    out[c] = SynthNormal(spec_.seed ^ (id * 0x9e3779b97f4a7c15ull), static_cast<uint64_t>(c)) *
             channel_scale_[static_cast<size_t>(c)];
    norm2 += static_cast<double>(out[c]) * out[c];
  }
  if (spec_.key_norm > 0.0f && norm2 > 0.0) {
    const float s = static_cast<float>(spec_.key_norm / std::sqrt(norm2));
    for (int c = 0; c < d; ++c) out[c] *= s;
  }
}

void SynthStream::Rotate(int64_t pos, float* x) const {
  float cs[kMaxHeadDim];
  table_.Angles(pos, cs);
  table_.Apply(cs, x);
}

void SynthStream::Generate(int64_t first, int64_t n, float* k_pre, float* k_post, float* v) const {
  const int d = spec_.head_dim, row = spec_.n_head_kv * d;
  float cs[kMaxHeadDim];
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = first + t;
    if (k_post) table_.Angles(pos, cs);
    for (int h = 0; h < spec_.n_head_kv; ++h) {
      const uint64_t id = (static_cast<uint64_t>(pos) << 8) | static_cast<uint64_t>(h);
      float key[kMaxHeadDim];
      RandomKey(id, key);
      if (k_pre) std::copy_n(key, d, k_pre + t * row + h * d);
      if (k_post) {
        table_.Apply(cs, key);
        std::copy_n(key, d, k_post + t * row + h * d);
      }
      if (v) {
        for (int c = 0; c < d; ++c) v[t * row + h * d + c] = SynthNormal(spec_.seed + 77 + id, static_cast<uint64_t>(c));
      }
    }
  }
}

}  // namespace engine::kv
