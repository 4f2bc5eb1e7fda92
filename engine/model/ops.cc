#include "engine/model/ops.h"

#include <cmath>

#include "engine/quant/vec.h"

namespace engine {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  // Four partial sums: one chain of dependent double adds would bound the
  // loop by the add latency. In double the order changes nothing visible.
  double part[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) part[k] += static_cast<double>(x[i + k]) * x[i + k];
  }
  for (; i < n; ++i) part[0] += static_cast<double>(x[i]) * x[i];
  const double sum_sq = (part[0] + part[1]) + (part[2] + part[3]);
  const float mean = static_cast<float>(sum_sq / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) { SwiGluF32(gate, up, n, out); }

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
