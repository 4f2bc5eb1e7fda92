// The backend-independent parts of ForwardPass (forward_pass.h).
#include <algorithm>
#include <cmath>

#include "engine/model/forward_pass.h"

namespace engine {

base::Status CheckForwardInput(std::span<const int32_t> tokens, int n_vocab, int64_t n_past, int64_t capacity) {
  if (tokens.empty()) return base::InvalidArgument("no tokens to evaluate");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= n_vocab) {
      return base::InvalidArgument("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                                   " is outside the vocabulary (0.." + std::to_string(n_vocab - 1) + ")");
    }
  }
  if (n_past + static_cast<int64_t>(tokens.size()) > capacity) {
    return base::OutOfRange("context is full: " + std::to_string(n_past) + " tokens held + " +
                            std::to_string(tokens.size()) + " new > context size " + std::to_string(capacity));
  }
  return base::Status::Ok();
}

void TopTokensOf(std::span<const float> logits, int k, float temperature, std::vector<TokenProb>* out) {
  out->clear();
  if (logits.empty() || k <= 0) return;
  k = std::min<int>(k, static_cast<int>(logits.size()));
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  auto before = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), before);
  const float max_logit = logits[static_cast<size_t>(ids[0])];
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>((l - max_logit) / temperature));
  for (int i = 0; i < k; ++i) {
    const float l = logits[static_cast<size_t>(ids[static_cast<size_t>(i)])];
    out->push_back({ids[static_cast<size_t>(i)], static_cast<float>(std::exp(static_cast<double>((l - max_logit) / temperature)) / sum)});
  }
}

}  // namespace engine
