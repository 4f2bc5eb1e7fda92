#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>

namespace engine {
namespace {

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& word : s_) word = SplitMix64(&seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

int32_t ArgMax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> recent) {
  adjusted_.assign(logits.begin(), logits.end());
  // Repetition penalty (as llama.cpp and CTRL): shrink the logit of each
  // distinct recent token once.
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n > 0) {
    const size_t n = std::min(recent.size(), static_cast<size_t>(params_.repeat_last_n));
    recent_ids_.assign(recent.end() - static_cast<std::ptrdiff_t>(n), recent.end());
    std::sort(recent_ids_.begin(), recent_ids_.end());
    recent_ids_.erase(std::unique(recent_ids_.begin(), recent_ids_.end()), recent_ids_.end());
    for (int32_t id : recent_ids_) {
      if (id < 0 || static_cast<size_t>(id) >= adjusted_.size()) continue;
      float& l = adjusted_[static_cast<size_t>(id)];
      l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
  }
  if (params_.temperature <= 0.0f) return ArgMax(adjusted_);

  // Candidates sorted by logit, cut by top-k.
  candidates_.clear();
  for (size_t i = 0; i < adjusted_.size(); ++i) candidates_.emplace_back(adjusted_[i], static_cast<int32_t>(i));
  size_t keep = candidates_.size();
  if (params_.top_k > 0) keep = std::min(keep, static_cast<size_t>(params_.top_k));
  std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  candidates_.resize(keep);

  // top-p and min-p act on the untempered distribution, as in llama.cpp.
  const float max_logit = candidates_.front().first;
  double total = 0;
  for (const auto& c : candidates_) total += std::exp(static_cast<double>(c.first - max_logit));
  if (params_.top_p < 1.0f) {
    double cumulative = 0;
    size_t cut = candidates_.size();
    for (size_t i = 0; i < candidates_.size(); ++i) {
      cumulative += std::exp(static_cast<double>(candidates_[i].first - max_logit)) / total;
      if (cumulative >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    candidates_.resize(cut);
  }
  if (params_.min_p > 0.0f) {
    // p_i >= min_p * p_max  <=>  logit_i >= max_logit + ln(min_p)
    const float floor = max_logit + std::log(params_.min_p);
    size_t cut = 1;
    while (cut < candidates_.size() && candidates_[cut].first >= floor) ++cut;
    candidates_.resize(cut);
  }

  // Sample from softmax(logit / temperature) over the survivors.
  double sum = 0;
  for (auto& c : candidates_) {
    c.first = static_cast<float>(std::exp(static_cast<double>(c.first - max_logit) / params_.temperature));
    sum += c.first;
  }
  double r = rng_.Uniform() * sum;
  for (const auto& c : candidates_) {
    r -= c.first;
    if (r < 0) return c.second;
  }
  return candidates_.back().second;
}

int Sampler::TopTokensNeeded() const {
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n > 0) return 0;
  if (params_.temperature <= 0.0f) return 1;
  return std::max(params_.top_k, 0);
}

int32_t Sampler::SampleFromTop(std::span<const TokenProb> top) {
  if (top.empty()) return 0;
  if (params_.temperature <= 0.0f) return top.front().id;
  // p_i / p_max = exp(l_i - l_max): the quantities Sample works with.
  candidates_.clear();
  const double p_max = std::max(static_cast<double>(top.front().prob), 1e-300);
  for (const TokenProb& t : top) candidates_.emplace_back(static_cast<float>(t.prob / p_max), t.id);
  double total = 0;
  for (const auto& c : candidates_) total += c.first;
  if (params_.top_p < 1.0f) {
    double cumulative = 0;
    size_t cut = candidates_.size();
    for (size_t i = 0; i < candidates_.size(); ++i) {
      cumulative += candidates_[i].first / total;
      if (cumulative >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    candidates_.resize(cut);
  }
  if (params_.min_p > 0.0f) {
    size_t cut = 1;
    while (cut < candidates_.size() && candidates_[cut].first >= params_.min_p) ++cut;
    candidates_.resize(cut);
  }
  double sum = 0;
  for (auto& c : candidates_) {
    c.first = static_cast<float>(std::pow(static_cast<double>(c.first), 1.0 / params_.temperature));
    sum += c.first;
  }
  double r = rng_.Uniform() * sum;
  for (const auto& c : candidates_) {
    r -= c.first;
    if (r < 0) return c.second;
  }
  return candidates_.back().second;
}

}  // namespace engine
