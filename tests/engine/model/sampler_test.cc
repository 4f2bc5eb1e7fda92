#include "engine/sampling/sampler.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "engine/model/forward_pass.h"

namespace {

std::vector<float> Logits() { return {1.0f, 3.0f, 2.5f, -1.0f, 0.0f, 2.9f}; }

}  // namespace

TEST_CASE("Greedy sampling is argmax, ties to the lowest id", "[engine][sampler]") {
  engine::SamplerParams p;
  p.temperature = 0;
  engine::Sampler s(p);
  CHECK(s.Sample(Logits(), {}) == 1);
  std::vector<float> tie = {0.5f, 2.0f, 2.0f};
  CHECK(engine::ArgMax(tie) == 1);
}

TEST_CASE("Seeded sampling is reproducible and the RNG state round-trips", "[engine][sampler]") {
  engine::SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 42;
  engine::Sampler a(p), b(p);
  std::vector<int32_t> seq_a, seq_b;
  for (int i = 0; i < 50; ++i) {
    seq_a.push_back(a.Sample(Logits(), {}));
    seq_b.push_back(b.Sample(Logits(), {}));
  }
  CHECK(seq_a == seq_b);
  // Save mid-stream, continue, restore into a fresh sampler: same future.
  auto saved = a.rng_state();
  std::vector<int32_t> future_a;
  for (int i = 0; i < 20; ++i) future_a.push_back(a.Sample(Logits(), {}));
  engine::Sampler c(p);
  c.set_rng_state(saved);
  std::vector<int32_t> future_c;
  for (int i = 0; i < 20; ++i) future_c.push_back(c.Sample(Logits(), {}));
  CHECK(future_a == future_c);
  p.seed = 43;
  engine::Sampler d(p);
  std::vector<int32_t> seq_d;
  for (int i = 0; i < 50; ++i) seq_d.push_back(d.Sample(Logits(), {}));
  CHECK(seq_d != seq_a);
}

TEST_CASE("Sampling frequencies follow the tempered softmax", "[engine][sampler]") {
  engine::SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  engine::Sampler s(p);
  std::vector<float> logits = {0.0f, std::log(3.0f)};  // p = 1/4, 3/4
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ones += s.Sample(logits, {}) == 1;
  CHECK(std::abs(ones / double(n) - 0.75) < 0.02);
}

TEST_CASE("top-k, top-p and min-p cut the candidates", "[engine][sampler]") {
  engine::SamplerParams p;
  p.temperature = 5.0f;  // flatten, so any survivor shows up
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.top_k = 2;
  std::map<int32_t, int> seen;
  engine::Sampler k2(p);
  for (int i = 0; i < 500; ++i) seen[k2.Sample(Logits(), {})]++;
  CHECK(seen.size() == 2);
  CHECK(seen.count(1) == 1);
  CHECK(seen.count(5) == 1);

  p.top_k = 0;
  p.min_p = 0.5f;  // keeps logits >= 3 + ln 0.5 = 2.31: ids 1, 5, 2
  seen.clear();
  engine::Sampler mp(p);
  for (int i = 0; i < 1000; ++i) seen[mp.Sample(Logits(), {})]++;
  CHECK(seen.size() == 3);
  CHECK(seen.count(2) == 1);

  p.min_p = 0.0f;
  p.top_p = 0.3f;  // the top token alone has more than 30% of the mass
  seen.clear();
  engine::Sampler tp(p);
  for (int i = 0; i < 200; ++i) seen[tp.Sample(Logits(), {})]++;
  CHECK(seen.size() == 1);
}

TEST_CASE("Repetition penalty pushes recent tokens down once", "[engine][sampler]") {
  engine::SamplerParams p;
  p.temperature = 0;
  p.repeat_penalty = 2.0f;
  engine::Sampler s(p);
  std::vector<int32_t> recent = {1, 1, 1};  // 3.0 -> 1.5 (once, not three times)
  CHECK(s.Sample(Logits(), recent) == 5);
  std::vector<float> neg = {-1.0f, -1.5f};
  std::vector<int32_t> recent0 = {0};  // -1.0 -> -2.0
  CHECK(s.Sample(neg, recent0) == 1);
}

TEST_CASE("Sampling from the top tokens chooses as sampling from every logit", "[engine][sampler]") {
  std::mt19937 gen(7);
  std::normal_distribution<float> noise(0.0f, 3.0f);
  std::vector<float> logits(3000);
  for (float& l : logits) l = noise(gen);
  for (const engine::SamplerParams& base :
       {engine::SamplerParams{0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 11}, engine::SamplerParams{1.3f, 200, 1.0f, 0.0f, 1.0f, 64, 12},
        engine::SamplerParams{0.0f, 40, 0.95f, 0.05f, 1.0f, 64, 13}}) {
    engine::Sampler full(base), from_top(base);
    const int k = from_top.TopTokensNeeded();
    REQUIRE(k == (base.temperature <= 0.0f ? 1 : base.top_k));
    std::vector<engine::TokenProb> top;
    engine::TopTokensOf(logits, k, 1.0f, &top);
    int same = 0;
    for (int draw = 0; draw < 2000; ++draw) same += full.Sample(logits, {}) == from_top.SampleFromTop(top);
    // Rounding differs (probabilities against logits), so a draw landing
    // within an ulp of a boundary may differ; nothing else may.
    CHECK(same >= 1995);
    CHECK(full.rng_state() == from_top.rng_state());  // one draw per sample on both paths
  }
  engine::SamplerParams penalized;
  penalized.repeat_penalty = 1.1f;
  CHECK(engine::Sampler(penalized).TopTokensNeeded() == 0);
  engine::SamplerParams no_top_k;
  no_top_k.top_k = 0;
  CHECK(engine::Sampler(no_top_k).TopTokensNeeded() == 0);
}
