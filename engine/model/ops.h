// Element-wise and row-wise operators of the transformer, on f32.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/hparams.h"

namespace engine {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], for one row of n.
// The sum of squares is accumulated in double, as ggml does.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g) (SIMD, vec.h).
void SwiGlu(const float* gate, const float* up, int64_t n, float* out);

// cos/sin of each rotated pair for one position: cos_sin[2*i] = cos(theta_i),
// cos_sin[2*i+1] = sin(theta_i), theta_i = pos * scale * base^(-2i/d).
// Computed in double so positions near a million stay accurate.
void RopeAngles(int64_t pos, const HParams& hp, float* cos_sin /* [head_dim] */);

// Rotates each head of a row in place: x: [n_heads][head_dim].
void ApplyRope(const float* cos_sin, const HParams& hp, int n_heads, float* x);

}  // namespace engine
