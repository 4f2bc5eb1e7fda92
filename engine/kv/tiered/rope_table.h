// RoPE by table lookup, for re-rotating pre-RoPE cold keys on load.
//
// The angle of pair i at position p is p * f_i, f_i = scale * base^(-2i/d),
// the same as RopeAngles (engine/model/ops.h). Computing cos/sin per loaded
// row would cost d/2 sincos calls; instead p is split into three 10-bit
// digits p = a*2^20 + b*2^10 + c and the rotation is composed from three
// tables of 1024 entries each, computed in double. Positions >= 2^30 fall
// back to direct evaluation.
//
// Threading: immutable after Init; call from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kv/factory.h"

namespace engine::kv {

class RopeTable {
 public:
  void Init(int head_dim, const KvRope& rope);

  // cos_sin[2i] = cos(p f_i), cos_sin[2i+1] = sin(p f_i); cos_sin: [head_dim]
  void Angles(int64_t pos, float* cos_sin) const;
  // Angles of positions pos .. pos + n - 1: cos_sin: [n][head_dim]. One
  // complex product per pair and row when the run stays inside one block
  // of 1024 positions (scoring units always do).
  void AnglesRun(int64_t pos, int n, float* cos_sin) const;
  // Rotates rows x: [n][head_dim] in place to positions pos .. pos + n - 1,
  // composing each angle on the fly (no cos/sin buffer).
  void RotateRun(int64_t pos, int n, float* x) const;
  // Rotates one head x: [head_dim] in place by angles from Angles().
  void Apply(const float* cos_sin, float* x) const;
  // Inverse rotation (pre-RoPE from post-RoPE).
  void ApplyInverse(const float* cos_sin, float* x) const;

  int head_dim() const { return d_; }
  // The tables, for the CUDA tiers' copy: digit k's [1024][n_rot_half][2]
  // cos, sin, and the frequencies (positions outside [0, 2^30)).
  int n_rot_half() const { return n_rot_half_; }
  RopeStyle style() const { return style_; }
  const std::vector<float>& digit_table(int k) const { return digit_[k]; }
  const std::vector<double>& freq() const { return freq_; }

 private:
  static constexpr int kDigitBits = 10;
  static constexpr int kDigit = 1 << kDigitBits;
  static constexpr int kMaxPairs = 128;  // head_dim <= kMaxHeadDim = 256
  int d_ = 0;
  int half_ = 0;
  int n_rot_half_ = 0;  // rotated pairs (n_rot / 2)
  RopeStyle style_ = RopeStyle::kAdjacent;
  std::vector<double> freq_;     // [n_rot_half]
  std::vector<float> digit_[3];  // [kDigit][n_rot_half][2]: cos, sin of digit * 2^(10 k) * f_i
};

}  // namespace engine::kv
