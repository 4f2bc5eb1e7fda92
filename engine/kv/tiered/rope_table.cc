#include "engine/kv/tiered/rope_table.h"

#include <algorithm>
#include <cmath>

namespace engine::kv {

void RopeTable::Init(int head_dim, const KvRope& rope) {
  d_ = head_dim;
  half_ = head_dim / 2;
  const int n_rot = rope.n_rot > 0 ? rope.n_rot : head_dim;
  n_rot_half_ = std::min(n_rot, head_dim) / 2;
  style_ = rope.style;
  freq_.resize(static_cast<size_t>(n_rot_half_));
  for (int i = 0; i < n_rot_half_; ++i) {
    freq_[static_cast<size_t>(i)] = static_cast<double>(rope.freq_scale) *
                                    std::pow(static_cast<double>(rope.freq_base), -2.0 * i / n_rot);
  }
  for (int k = 0; k < 3; ++k) {
    std::vector<float>& t = digit_[k];
    t.resize(static_cast<size_t>(kDigit) * n_rot_half_ * 2);
    const double unit = std::ldexp(1.0, kDigitBits * k);
    for (int digit = 0; digit < kDigit; ++digit) {
      for (int i = 0; i < n_rot_half_; ++i) {
        const double theta = digit * unit * freq_[static_cast<size_t>(i)];
        const size_t at = (static_cast<size_t>(digit) * n_rot_half_ + i) * 2;
        t[at] = static_cast<float>(std::cos(theta));
        t[at + 1] = static_cast<float>(std::sin(theta));
      }
    }
  }
}

void RopeTable::Angles(int64_t pos, float* cos_sin) const {
  for (int i = n_rot_half_; i < half_; ++i) {  // unrotated tail: identity
    cos_sin[2 * i] = 1.0f;
    cos_sin[2 * i + 1] = 0.0f;
  }
  if (pos < 0 || pos >= (int64_t{1} << (3 * kDigitBits))) {
    for (int i = 0; i < n_rot_half_; ++i) {
      const double theta = static_cast<double>(pos) * freq_[static_cast<size_t>(i)];
      cos_sin[2 * i] = static_cast<float>(std::cos(theta));
      cos_sin[2 * i + 1] = static_cast<float>(std::sin(theta));
    }
    return;
  }
  const float* a = &digit_[2][static_cast<size_t>((pos >> (2 * kDigitBits)) & (kDigit - 1)) * n_rot_half_ * 2];
  const float* b = &digit_[1][static_cast<size_t>((pos >> kDigitBits) & (kDigit - 1)) * n_rot_half_ * 2];
  const float* c = &digit_[0][static_cast<size_t>(pos & (kDigit - 1)) * n_rot_half_ * 2];
  for (int i = 0; i < n_rot_half_; ++i) {
    // (a * b) * c as complex numbers: angles add.
    const float abr = a[2 * i] * b[2 * i] - a[2 * i + 1] * b[2 * i + 1];
    const float abi = a[2 * i] * b[2 * i + 1] + a[2 * i + 1] * b[2 * i];
    cos_sin[2 * i] = abr * c[2 * i] - abi * c[2 * i + 1];
    cos_sin[2 * i + 1] = abr * c[2 * i + 1] + abi * c[2 * i];
  }
}

void RopeTable::AnglesRun(int64_t pos, int n, float* cos_sin) const {
  const int64_t lo = pos & (kDigit - 1);
  if (pos < 0 || pos + n > (int64_t{1} << (3 * kDigitBits)) || lo + n > kDigit) {
    for (int r = 0; r < n; ++r) Angles(pos + r, cos_sin + static_cast<size_t>(r) * d_);
    return;
  }
  Angles(pos - lo, cos_sin);  // the high digits, low digit 0
  float ab[kMaxPairs * 2];
  std::copy_n(cos_sin, 2 * n_rot_half_, ab);
  for (int r = 0; r < n; ++r) {
    float* out = cos_sin + static_cast<size_t>(r) * d_;
    const float* c = &digit_[0][static_cast<size_t>(lo + r) * n_rot_half_ * 2];
    for (int i = 0; i < n_rot_half_; ++i) {
      out[2 * i] = ab[2 * i] * c[2 * i] - ab[2 * i + 1] * c[2 * i + 1];
      out[2 * i + 1] = ab[2 * i] * c[2 * i + 1] + ab[2 * i + 1] * c[2 * i];
    }
    for (int i = n_rot_half_; i < half_; ++i) {
      out[2 * i] = 1.0f;
      out[2 * i + 1] = 0.0f;
    }
  }
}

void RopeTable::RotateRun(int64_t pos, int n, float* x) const {
  const int64_t lo = pos & (kDigit - 1);
  if (pos < 0 || pos + n > (int64_t{1} << (3 * kDigitBits)) || lo + n > kDigit) {
    float cs[kMaxPairs * 2];
    for (int r = 0; r < n; ++r) {
      Angles(pos + r, cs);
      Apply(cs, x + static_cast<size_t>(r) * d_);
    }
    return;
  }
  float ab[kMaxPairs * 2];
  Angles(pos - lo, ab);  // the high digits, low digit 0
  const bool adjacent = style_ == RopeStyle::kAdjacent;
  for (int r = 0; r < n; ++r) {
    float* v = x + static_cast<size_t>(r) * d_;  // [d]
    const float* c = &digit_[0][static_cast<size_t>(lo + r) * n_rot_half_ * 2];
    for (int i = 0; i < n_rot_half_; ++i) {
      const float cr = ab[2 * i] * c[2 * i] - ab[2 * i + 1] * c[2 * i + 1];
      const float ci = ab[2 * i] * c[2 * i + 1] + ab[2 * i + 1] * c[2 * i];
      const int ia = adjacent ? 2 * i : i, ib = adjacent ? 2 * i + 1 : i + half_;
      const float a = v[ia], b = v[ib];
      v[ia] = a * cr - b * ci;
      v[ib] = a * ci + b * cr;
    }
  }
}

void RopeTable::Apply(const float* cos_sin, float* x) const {
  for (int i = 0; i < n_rot_half_; ++i) {
    const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
    // Pair (a, b): adjacent channels for llama, i and i + d/2 for qwen.
    const int ia = style_ == RopeStyle::kAdjacent ? 2 * i : i;
    const int ib = style_ == RopeStyle::kAdjacent ? 2 * i + 1 : i + half_;
    const float a = x[ia], b = x[ib];
    x[ia] = a * c - b * s;
    x[ib] = a * s + b * c;
  }
}

void RopeTable::ApplyInverse(const float* cos_sin, float* x) const {
  for (int i = 0; i < n_rot_half_; ++i) {
    const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
    const int ia = style_ == RopeStyle::kAdjacent ? 2 * i : i;
    const int ib = style_ == RopeStyle::kAdjacent ? 2 * i + 1 : i + half_;
    const float a = x[ia], b = x[ib];
    x[ia] = a * c + b * s;
    x[ib] = -a * s + b * c;
  }
}

}  // namespace engine::kv
