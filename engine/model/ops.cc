#include "engine/model/ops.h"

#include <cmath>

namespace engine {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
  const float mean = static_cast<float>(sum_sq / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void RopeAngles(int64_t pos, const HParams& hp, float* cos_sin) {
  const int half = hp.head_dim / 2;
  const double p = static_cast<double>(pos) * hp.rope_freq_scale;
  for (int i = 0; i < half; ++i) {
    const double inv_freq = std::pow(static_cast<double>(hp.rope_freq_base), -2.0 * i / hp.head_dim);
    const double theta = p * inv_freq;
    cos_sin[2 * i] = static_cast<float>(std::cos(theta));
    cos_sin[2 * i + 1] = static_cast<float>(std::sin(theta));
  }
}

void ApplyRope(const float* cos_sin, const HParams& hp, int n_heads, float* x) {
  const int d = hp.head_dim;
  const int half = d / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + h * d;  // [head_dim]
    for (int i = 0; i < half; ++i) {
      const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
      // Pair (a, b) is adjacent channels for llama, channels i and i+d/2 for qwen.
      const int ia = hp.rope_style == RopeStyle::kAdjacent ? 2 * i : i;
      const int ib = hp.rope_style == RopeStyle::kAdjacent ? 2 * i + 1 : i + half;
      const float a = v[ia], b = v[ib];
      v[ia] = a * c - b * s;
      v[ib] = a * s + b * c;
    }
  }
}

}  // namespace engine
