// The forward pass against llama.cpp's logits for every reference model
// (testdata README section 7 gives the tolerances).
#include <catch2/catch.hpp>
#include <cstdio>

#include "engine/engine.h"
#include "tests/engine/model/reference.h"
#include "tests/testing.h"

namespace {

std::unique_ptr<engine::Context> MakeContext(const engine::Model& model, int64_t batch) {
  engine::ContextOptions options;
  options.n_ctx = 256;
  options.kv_type = engine::KvType::kF32;
  options.n_threads = 2;
  options.n_batch = batch;
  auto ctx = engine::Context::Create(model, options);
  REQUIRE(ctx.ok());
  return std::move(ctx).value();
}

}  // namespace

TEST_CASE("Prompt logits match llama.cpp for every reference model", "[engine][logits]") {
  REQUIRE_TESTDATA(testdata);
  for (const std::string& name : testing::ReferenceModelNames(testdata)) {
    DYNAMIC_SECTION(name) {
      testing::ModelReference ref = testing::LoadReference(testdata, name);
      auto model = engine::Model::Load(ref.model_path);
      REQUIRE(model.ok());
      const int n_vocab = model->n_vocab();
      const int n = static_cast<int>(ref.prompt_ids.size());
      REQUIRE(ref.prompt_logits.size() == static_cast<size_t>(n) * n_vocab);
      // Batch 7 splits the prompt into several chunks, so chunking is covered too.
      auto ctx = MakeContext(*model, 7);
      std::vector<float> logits(static_cast<size_t>(n) * n_vocab);
      REQUIRE((*ctx).Eval(ref.prompt_ids, logits.data()).ok());
      testing::LogitDiff d = testing::CompareLogits(logits.data(), ref.prompt_logits.data(), n, n_vocab);
      testing::Tolerance tol = testing::ToleranceFor(ref.weight_type);
      std::printf("logits %-24s prompt: max %.2e rms %.2e top1 %d/%d (limit %.0e/%.0e)\n", name.c_str(), d.max_abs,
                  d.rms, d.top1_agree, d.rows, tol.max_abs, tol.rms);
      CHECK(d.max_abs <= tol.max_abs);
      CHECK(d.rms <= tol.rms);
    }
  }
}

TEST_CASE("Teacher-forced decode logits match llama.cpp", "[engine][logits]") {
  REQUIRE_TESTDATA(testdata);
  for (const std::string& name : testing::ReferenceModelNames(testdata)) {
    DYNAMIC_SECTION(name) {
      testing::ModelReference ref = testing::LoadReference(testdata, name);
      auto model = engine::Model::Load(ref.model_path);
      REQUIRE(model.ok());
      const int n_vocab = model->n_vocab();
      auto ctx = MakeContext(*model, 512);
      REQUIRE(ctx->Eval(ref.prompt_ids).ok());
      const int n_gen = static_cast<int>(ref.gen_ids.size());
      REQUIRE(ref.gen_logits.size() == static_cast<size_t>(n_gen) * n_vocab);
      std::vector<float> ours(ref.gen_logits.size());
      for (int k = 0; k < n_gen; ++k) {
        REQUIRE(ctx->Eval(std::span<const int32_t>(&ref.gen_ids[static_cast<size_t>(k)], 1)).ok());
        std::copy(ctx->logits().begin(), ctx->logits().end(), ours.begin() + static_cast<ptrdiff_t>(k) * n_vocab);
      }
      testing::LogitDiff d = testing::CompareLogits(ours.data(), ref.gen_logits.data(), n_gen, n_vocab);
      testing::Tolerance tol = testing::ToleranceFor(ref.weight_type);
      std::printf("logits %-24s decode: max %.2e rms %.2e top1 %d/%d\n", name.c_str(), d.max_abs, d.rms,
                  d.top1_agree, d.rows);
      CHECK(d.max_abs <= tol.max_abs);
      CHECK(d.rms <= tol.rms);
    }
  }
}

TEST_CASE("Greedy continuations match llama.cpp token for token (F32 models)", "[engine][greedy]") {
  REQUIRE_TESTDATA(testdata);
  for (const std::string& name : testing::ReferenceModelNames(testdata)) {
    testing::ModelReference ref = testing::LoadReference(testdata, name);
    if (ref.weight_type != "f32") continue;  // other paths have sub-tolerance margins
    DYNAMIC_SECTION(name) {
      auto model = engine::Model::Load(ref.model_path);
      REQUIRE(model.ok());
      auto ctx = MakeContext(*model, 512);
      REQUIRE(ctx->Eval(ref.prompt_ids).ok());
      std::vector<int32_t> generated;
      for (size_t k = 0; k < ref.gen_ids.size(); ++k) {
        const int32_t next = engine::ArgMax(ctx->logits());
        generated.push_back(next);
        REQUIRE(ctx->Eval(std::span<const int32_t>(&next, 1)).ok());
      }
      CHECK(generated == ref.gen_ids);
    }
  }
}

TEST_CASE("stories260K greedy text matches the reference", "[engine][greedy]") {
  REQUIRE_TESTDATA(testdata);
  auto model = engine::Model::Load(testdata + "/models/stories260K.gguf");
  REQUIRE(model.ok());
  std::vector<int32_t> prompt = model->Tokenize("Once upon a time", true, false);
  CHECK(prompt == std::vector<int32_t>{1, 403, 407, 261, 378});
  auto ctx = MakeContext(*model, 64);
  REQUIRE(ctx->Eval(prompt).ok());
  engine::TextStream stream(*model);
  std::string text;
  for (int k = 0; k < 64; ++k) {
    const int32_t next = engine::ArgMax(ctx->logits());
    text += stream.Push(next);
    REQUIRE(ctx->Eval(std::span<const int32_t>(&next, 1)).ok());
  }
  text += stream.Flush();
  CHECK(text ==
        ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red "
        "ball. She wanted to play with it, but it was too high.\nLily's mom said");
}

TEST_CASE("An F16 KV cache stays close to the F32 one", "[engine][logits]") {
  REQUIRE_TESTDATA(testdata);
  testing::ModelReference ref = testing::LoadReference(testdata, "tiny-qwen3-f32");
  auto model = engine::Model::Load(ref.model_path);
  REQUIRE(model.ok());
  engine::ContextOptions options;
  options.n_ctx = 128;
  options.kv_type = engine::KvType::kF16;
  auto ctx = engine::Context::Create(*model, options);
  REQUIRE(ctx.ok());
  const int n = static_cast<int>(ref.prompt_ids.size());
  std::vector<float> logits(static_cast<size_t>(n) * model->n_vocab());
  REQUIRE((*ctx)->Eval(ref.prompt_ids, logits.data()).ok());
  testing::LogitDiff d = testing::CompareLogits(logits.data(), ref.prompt_logits.data(), n, model->n_vocab());
  // llama.cpp's own F16-KV vs F32-KV gap is 0.003-0.01 on these models.
  CHECK(d.max_abs < 0.02);
  CHECK(d.max_abs > 0.0);  // it really is a different cache
}
