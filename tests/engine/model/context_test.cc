// Context errors and state handling through the public engine API.
#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "tests/testing.h"

TEST_CASE("Context rejects bad tokens, empty input and overflow clearly", "[engine][context]") {
  REQUIRE_TESTDATA(testdata);
  auto model = engine::Model::Load(testdata + "/models/stories260K.gguf");
  REQUIRE(model.ok());
  engine::ContextOptions options;
  options.n_ctx = 8;
  auto ctx = engine::Context::Create(*model, options);
  REQUIRE(ctx.ok());

  std::vector<int32_t> empty;
  base::Status s = (*ctx)->Eval(empty);
  CHECK(s.code() == base::StatusCode::kInvalidArgument);

  std::vector<int32_t> bad = {1, 99999};
  s = (*ctx)->Eval(bad);
  CHECK(s.code() == base::StatusCode::kInvalidArgument);
  CHECK(s.message().find("99999") != std::string::npos);
  CHECK((*ctx)->n_past() == 0);  // nothing was consumed

  std::vector<int32_t> long_prompt(9, 1);
  s = (*ctx)->Eval(long_prompt);
  CHECK(s.code() == base::StatusCode::kOutOfRange);
  CHECK(s.message().find("context") != std::string::npos);

  std::vector<int32_t> ok = {1, 403, 407};
  REQUIRE((*ctx)->Eval(ok).ok());
  CHECK((*ctx)->n_past() == 3);

  options.n_ctx = 0;
  CHECK(engine::Context::Create(*model, options).status().code() == base::StatusCode::kInvalidArgument);
}

TEST_CASE("Truncate rolls back so re-evaluation reproduces the logits", "[engine][context]") {
  REQUIRE_TESTDATA(testdata);
  auto model = engine::Model::Load(testdata + "/models/stories260K.gguf");
  REQUIRE(model.ok());
  engine::ContextOptions options;
  options.n_ctx = 64;
  options.kv_type = engine::KvType::kF32;
  options.n_threads = 1;
  std::vector<int32_t> head = {1, 403, 407};
  std::vector<int32_t> tail = {261, 378};
  std::vector<int32_t> detour = {300, 301};

  auto straight = engine::Context::Create(*model, options);
  REQUIRE(straight.ok());
  REQUIRE((*straight)->Eval(head).ok());
  REQUIRE((*straight)->Eval(tail).ok());
  std::vector<float> first((*straight)->logits().begin(), (*straight)->logits().end());

  auto ctx = engine::Context::Create(*model, options);
  REQUIRE(ctx.ok());
  REQUIRE((*ctx)->Eval(head).ok());
  REQUIRE((*ctx)->Eval(detour).ok());
  (*ctx)->Truncate(3);
  CHECK((*ctx)->n_past() == 3);
  REQUIRE((*ctx)->Eval(tail).ok());
  std::vector<float> again((*ctx)->logits().begin(), (*ctx)->logits().end());
  CHECK(first == again);  // same threads and chunking: bit-identical
}

TEST_CASE("Model loading rejects missing and non-GGUF files", "[engine][context]") {
  auto missing = engine::Model::Load("/nonexistent/model.gguf");
  CHECK(missing.status().code() == base::StatusCode::kNotFound);
  const std::string dir = testing::MakeTempDir("lh_model");
  const std::string junk = dir + "/junk.gguf";
  REQUIRE(base::DefaultFileSystem()->WriteFileAtomic(junk, "this is not a model file at all").ok());
  auto bad = engine::Model::Load(junk);
  CHECK(bad.status().code() == base::StatusCode::kCorruption);
  CHECK(bad.status().message().find("magic") != std::string::npos);
}
