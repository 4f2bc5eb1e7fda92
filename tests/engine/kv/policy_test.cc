// KvPolicy: text form, per-layer resolution, validation errors.
#include <catch2/catch.hpp>

#include "engine/kv/factory.h"
#include "engine/kv/policy.h"

using engine::KvPolicy;
using engine::ParseKvPolicy;

TEST_CASE("Policy text form parses every key and per-layer overrides", "[kv][policy]") {
  auto p = ParseKvPolicy(
      "tiered:sink=4,window=64,unit=8,block=32,topk=4,summary=32,bits=16,dense_layers=1,dense_window=512,"
      "trained_ctx=512,far_cap=300,L3.topk=9");
  REQUIRE(p.ok());
  CHECK(p->kind == KvPolicy::Kind::kTiered);
  CHECK(p->tiered.n_sink == 4);
  CHECK(p->tiered.window == 64);
  CHECK(p->tiered.top_k == 4);
  CHECK(p->tiered.summary == 32);
  CHECK(p->tiered.bits == 16);
  CHECK(p->n_dense_layers == 1);
  CHECK(p->trained_ctx == 512);
  CHECK(p->far_distance_cap == 300);
  // Layer 0 is a dense layer: its window is the dense threshold.
  CHECK(p->ForLayer(0).window == 512);
  CHECK(p->ForLayer(1).window == 64);
  // The override starts from the final global values, whatever the order.
  CHECK(p->ForLayer(3).top_k == 9);
  CHECK(p->ForLayer(3).window == 64);
  CHECK(p->ForLayer(3).bits == 16);

  auto again = ParseKvPolicy(engine::KvPolicyToString(*p));
  REQUIRE(again.ok());
  CHECK(engine::KvPolicyToString(*again) == engine::KvPolicyToString(*p));
  for (int l = 0; l < 5; ++l) CHECK(again->ForLayer(l) == p->ForLayer(l));

  auto dense = ParseKvPolicy("dense");
  REQUIRE(dense.ok());
  CHECK(dense->kind == KvPolicy::Kind::kDense);
  CHECK(engine::KvPolicyToString(*dense) == "dense");
  auto defaults = ParseKvPolicy("tiered");
  REQUIRE(defaults.ok());
  CHECK(defaults->tiered.n_sink == 128);
  CHECK(defaults->tiered.window == 2048);
  CHECK(defaults->tiered.unit == 4);
  CHECK(defaults->tiered.top_k == 512);
  CHECK(defaults->tiered.rerank == 4);
  CHECK(defaults->tiered.index_bits == 4);
  CHECK(defaults->tiered.bits == 4);
}

TEST_CASE("Policy errors name the offending item", "[kv][policy]") {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"sparse", "dense or tiered"},
      {"tiered:window=16", "window"},  // below the 32-token block
      {"tiered:bogus=1", "bogus"},
      {"tiered:topk=abc", "topk"},
      {"tiered:topk=-1", "topk"},
      {"tiered:bits=8", "bits"},
      {"tiered:unit=3", "block"},  // 32 is not a multiple of 3
      {"tiered:summary=8", "summary"},
      {"tiered:sink=-2", "sink"},
      {"tiered:window", "key=value"},
      {"tiered:L2window=5", "L<n>.<field>"},
      {"tiered:Lx.topk=5", "Lx.topk"},
      {"tiered:L1.window=8", "layer 1"},
      {"tiered:unit=0", "unit"},
      {"tiered:far_cap=-5", "far_cap"},
      {"tiered:rerank=-1", "rerank"},
      {"tiered:index_bits=2", "index_bits"},
      {"tiered:topk=99999999999", "out of range"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto p = ParseKvPolicy(c.text);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == base::StatusCode::kInvalidArgument);
    CHECK(p.status().message().find(c.needle) != std::string::npos);
  }
}

TEST_CASE("The factory rejects geometry and layer indices it cannot serve", "[kv][policy]") {
  engine::AttentionCacheConfig config;
  config.n_layer = 2;
  config.n_head = 4;
  config.n_head_kv = 2;
  config.head_dim = 32;
  config.capacity = 256;
  auto policy = ParseKvPolicy("tiered:L5.topk=3");
  REQUIRE(policy.ok());
  auto cache = engine::NewAttentionCache(config, *policy, engine::KvRope{});
  REQUIRE_FALSE(cache.ok());
  CHECK(cache.status().message().find("layer 5") != std::string::npos);

  policy = ParseKvPolicy("tiered");
  REQUIRE(policy.ok());
  config.head_dim = 7;
  CHECK(engine::NewAttentionCache(config, *policy, engine::KvRope{}).status().code() ==
        base::StatusCode::kUnsupported);
  config.head_dim = 32;
  config.n_head = 6;  // not a multiple of n_head_kv = 4
  config.n_head_kv = 4;
  CHECK(engine::NewAttentionCache(config, *policy, engine::KvRope{}).status().code() ==
        base::StatusCode::kInvalidArgument);
  config.n_head = 4;
  config.n_head_kv = 2;
  auto ok = engine::NewAttentionCache(config, *policy, engine::KvRope{});
  REQUIRE(ok.ok());
  CHECK((*ok)->wants_pre_rope_keys());
  CHECK((*ok)->n_positions() == 0);
}
