// TokenConstraint over real vocabularies: whatever the logits, sampling
// under the mask yields complete, parseable tool calls for declared tools.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/constrained.h"
#include "engine/engine.h"
#include "engine/model_file.h"
#include "tests/testing.h"

namespace {

const std::vector<engine::ToolSchema>& Tools() {
  static const std::vector<engine::ToolSchema> tools = {
      {"read_file",
       R"({"type":"object","properties":{"path":{"type":"string"},"start":{"type":"integer"},
           "end":{"type":"integer"}},"required":["path"]})"},
      {"run_command",
       R"({"type":"object","properties":{"argv":{"type":"array","items":{"type":"string"},"minItems":1},
           "timeout":{"type":"number"}},"required":["argv"]})"},
      {"edit_file",
       R"({"type":"object","properties":{"path":{"type":"string"},"old":{"type":"string"},
           "new":{"type":"string"}},"required":["path","old","new"]})"},
  };
  return tools;
}

engine::Model TinyModel() {
  engine::TinyModelSpec spec;
  spec.n_layer = 1;
  spec.n_embd = 64;
  spec.n_head = 2;
  spec.n_head_kv = 1;
  spec.n_ff = 64;
  const std::string path = testing::MakeTempDir("grammar") + "/tiny.gguf";
  REQUIRE(engine::WriteTinyModel(spec, path).ok());
  auto m = engine::Model::Load(path);
  REQUIRE(m.ok());
  return *m;
}

// Samples one call under the mask from random logits; returns its text.
std::string SampleCall(const engine::Model& model, engine::TokenConstraint* c, std::mt19937* rng, int* tokens) {
  c->Reset();
  std::vector<float> logits(static_cast<size_t>(model.n_vocab()));
  std::normal_distribution<float> noise(0.0f, 2.0f);
  std::string text;
  for (*tokens = 0; *tokens < 4000 && !c->finished(); ++*tokens) {
    for (float& l : logits) l = noise(*rng);
    c->Mask(logits);
    // Softmax sampling over the allowed tokens.
    float mx = -INFINITY;
    for (float l : logits) mx = std::max(mx, l);
    REQUIRE(std::isfinite(mx));  // something is always allowed
    std::vector<double> p(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) p[i] = std::isfinite(logits[i]) ? std::exp(logits[i] - mx) : 0.0;
    std::discrete_distribution<int32_t> dist(p.begin(), p.end());
    const int32_t id = dist(*rng);
    if (model.IsEndOfGeneration(id)) break;
    REQUIRE(c->Accept(id).ok());
    text += model.TokenToPiece(id);
  }
  return text;
}

void CheckCall(const std::string& text, const char* close) {
  INFO(text);
  REQUIRE(text.ends_with(close));
  auto j = nlohmann::json::parse(text.substr(0, text.size() - std::strlen(close)), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  const std::string name = j["name"];
  const auto& args = j.contains("arguments") ? j["arguments"] : j["parameters"];
  if (name == "read_file") {
    CHECK(args["path"].is_string());
  } else if (name == "run_command") {
    REQUIRE(args["argv"].is_array());
    CHECK(args["argv"].size() >= 1);
  } else {
    CHECK(name == "edit_file");
    CHECK(args["old"].is_string());
    CHECK(args["new"].is_string());
  }
}

}  // namespace

TEST_CASE("Random logits under the mask always give a parseable call", "[grammar][constraint]") {
  const engine::Model model = TinyModel();
  engine::JsonGrammarOptions o;
  o.max_string_chars = 24;
  o.max_array_items = 3;
  auto hermes = engine::TokenConstraint::ForToolCalls(model, Tools(), engine::ToolCallSyntax::kHermes, o);
  REQUIRE(hermes.ok());
  std::mt19937 rng(7);
  for (int i = 0; i < 25; ++i) {
    int tokens = 0;
    const std::string text = SampleCall(model, hermes->get(), &rng, &tokens);
    CHECK((*hermes)->complete());
    CheckCall(text, "</tool_call>");
  }
}

TEST_CASE("A real 150K vocabulary (Qwen2) masks and samples calls", "[grammar][constraint][testdata]") {
  REQUIRE_TESTDATA(dir);
  auto vocab = engine::Model::LoadVocab(dir + "/tokenizer/ggml-vocab-qwen2.gguf");
  REQUIRE(vocab.ok());
  engine::JsonGrammarOptions o;
  o.max_string_chars = 24;
  o.max_array_items = 3;
  auto c = engine::TokenConstraint::ForToolCalls(*vocab, Tools(), engine::ToolCallSyntax::kLlama3Json, o);
  REQUIRE(c.ok());
  std::mt19937 rng(3);
  for (int i = 0; i < 4; ++i) {
    int tokens = 0;
    CheckCall(SampleCall(*vocab, c->get(), &rng, &tokens), "");
  }
}

TEST_CASE("Accept refuses what the mask forbids, and end-of-text waits for completion", "[grammar][constraint]") {
  const engine::Model model = TinyModel();
  auto c = engine::TokenConstraint::ForJsonSchema(model, R"({"type":"object","properties":{"ok":{"type":"boolean"}},
                                                           "required":["ok"]})");
  REQUIRE(c.ok());
  const std::vector<int32_t> open = model.Tokenize("{", false, false);
  REQUIRE(open.size() == 1);
  std::vector<float> logits(static_cast<size_t>(model.n_vocab()), 0.0f);
  (*c)->Mask(logits);
  CHECK(std::isfinite(logits[static_cast<size_t>(open[0])]));
  const std::vector<int32_t> letter = model.Tokenize("x", false, false);
  CHECK_FALSE(std::isfinite(logits[static_cast<size_t>(letter[0])]));
  CHECK_FALSE((*c)->Accept(letter[0]).ok());
  REQUIRE((*c)->AcceptText("{\"ok\": true").ok());
  CHECK_FALSE((*c)->complete());
  CHECK_FALSE((*c)->AcceptText(",").ok());  // no other member exists
  REQUIRE((*c)->AcceptText("}").ok());
  CHECK((*c)->complete());
  CHECK((*c)->finished());
  CHECK_THAT(engine::TokenConstraint::ForJsonSchema(model, "{not json").status().ToString(),
             Catch::Contains("not valid JSON"));
}

TEST_CASE("The tiny random model writes 20 grammar-valid calls end to end", "[grammar][constraint][engine]") {
  const engine::Model model = TinyModel();
  engine::JsonGrammarOptions o;
  o.max_string_chars = 32;
  o.max_array_items = 4;
  auto c = engine::TokenConstraint::ForToolCalls(model, Tools(), engine::ToolCallSyntax::kHermes, o);
  REQUIRE(c.ok());
  engine::ContextOptions co;
  co.n_ctx = 8192;
  co.n_threads = 1;
  auto ctx = engine::Context::Create(model, co);
  REQUIRE(ctx.ok());
  engine::SamplerParams sp;
  sp.temperature = 1.0f;
  sp.seed = 11;
  engine::Sampler sampler(sp);
  REQUIRE((*ctx)->Eval(model.Tokenize("<tool_call>", false, true)).ok());
  for (int call = 0; call < 20; ++call) {
    (*c)->Reset();
    std::string text;
    std::vector<int32_t> recent;
    while (!(*c)->finished()) {
      std::vector<float> logits((*ctx)->logits().begin(), (*ctx)->logits().end());
      (*c)->Mask(logits);
      const int32_t id = sampler.Sample(logits, recent);
      if (model.IsEndOfGeneration(id)) break;
      REQUIRE((*c)->Accept(id).ok());
      text += model.TokenToPiece(id);
      recent.push_back(id);
      REQUIRE((*ctx)->Eval(std::span<const int32_t>(&id, 1)).ok());
    }
    CheckCall(text, "</tool_call>");
    (*ctx)->Truncate(0);
    REQUIRE((*ctx)->Eval(model.Tokenize("<tool_call>", false, true)).ok());
  }
}
