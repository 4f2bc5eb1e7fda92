// Deterministic random numbers for generated weights.
//
// SplitMix64 (Steele, Lea, Flood 2014) is a fixed, documented sequence, so
// a seed names the same weights forever. The Gaussian uses only integer
// arithmetic and one exact IEEE multiply, never libm, so the values are
// bit-identical on every platform, compiler and math library.
#pragma once

#include <cmath>
#include <cstdint>

namespace engine::tiny {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Approximately N(0, 1): the Irwin-Hall sum of four uniforms, centered
  // and scaled to unit variance. Its range is +-sqrt(12), which keeps
  // generated weights free of outliers.
  double NextGaussian() {
    int64_t sum = 0;
    for (int k = 0; k < 4; ++k) sum += static_cast<int64_t>(Next() >> 32);
    // 2*sum - 4*(2^32 - 1) is symmetric around 0 and exact in a double.
    const int64_t centered = 2 * sum - 4 * ((int64_t{1} << 32) - 1);
    static const double kScale = std::sqrt(3.0) / 8589934592.0;  // sqrt(3) / 2^33; sqrt is exact-rounded
    return static_cast<double>(centered) * kScale;
  }

 private:
  uint64_t state_;
};

}  // namespace engine::tiny
