// Token sampling: greedy, or temperature with top-k, top-p and min-p, plus
// a repetition penalty. The random state is a small value that the session
// checkpoints, so a resumed session samples exactly what the original would.
//
// Threading: a Sampler is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace engine {

// One candidate of Context::TopTokens.
struct TokenProb {
  int32_t id = 0;
  float prob = 0.0f;  // softmax over the whole vocabulary at the temperature
};

// xoshiro256**: fast, small state, good statistical quality.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  uint64_t Next();
  double Uniform();  // [0, 1)
  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<uint64_t, 4> s_{};
};

struct SamplerParams {
  float temperature = 0.8f;  // <= 0 means greedy
  int top_k = 40;            // <= 0 disables
  float top_p = 0.95f;       // >= 1 disables
  float min_p = 0.05f;       // <= 0 disables
  float repeat_penalty = 1.0f;  // 1 disables
  int repeat_last_n = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);

  // Picks the next token from logits [n_vocab]. `recent` holds the tokens
  // the repetition penalty looks at (the last repeat_last_n are used).
  int32_t Sample(std::span<const float> logits, std::span<const int32_t> recent);

  // How many of the most likely tokens SampleFromTop needs to choose as
  // Sample would: 1 when greedy, top_k otherwise; 0 when Sample needs
  // every logit (a repetition penalty, or no top-k).
  int TopTokensNeeded() const;
  // Sample's choice from `top`: the TopTokensNeeded() most likely tokens,
  // most likely first, with their probabilities at temperature 1
  // (Context::TopTokens), so a GPU context hands over k pairs instead of
  // the whole vocabulary. Draws from the RNG exactly when Sample would.
  int32_t SampleFromTop(std::span<const TokenProb> top);

  const SamplerParams& params() const { return params_; }
  // The RNG state, for checkpoints.
  std::array<uint64_t, 4> rng_state() const { return rng_.state(); }
  void set_rng_state(const std::array<uint64_t, 4>& s) { rng_.set_state(s); }

 private:
  SamplerParams params_;
  Rng rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // reused: (logit, id)
  std::vector<float> adjusted_;                        // reused: [n_vocab]
  std::vector<int32_t> recent_ids_;                    // reused: distinct recent tokens
};

// The index of the largest logit (the lowest index among ties).
int32_t ArgMax(std::span<const float> logits);

}  // namespace engine
