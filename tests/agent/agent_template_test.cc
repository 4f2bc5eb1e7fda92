// The agent on real chat templates: tiny random models carrying the real
// tokenizer and template of Qwen2 and Llama 3 (from the reference vocab
// files), driven by a scripted model. The tool list and the tool result go
// through the model's own template, and a resume reuses every cached token.
#include "engine/model_file.h"
#include "tests/agent/agent_test_util.h"
#include "tests/testing.h"

namespace {

using agent::Event;
using namespace agent_test;

void RunOnRealTemplate(const std::string& vocab, const std::string& arch) {
  REQUIRE_TESTDATA(data);
  engine::TinyModelSpec spec;
  spec.arch = arch;
  spec.n_layer = 1;
  spec.n_embd = 32;
  spec.n_head = 2;
  spec.n_head_kv = 1;
  spec.n_ff = 64;
  spec.context_length = 8192;
  spec.vocab_from = data + "/tokenizer/" + vocab;
  const std::string path = testing::MakeTempDir("lh_agent_tmpl") + "/m.gguf";
  REQUIRE(engine::WriteTinyModel(spec, path).ok());

  Harness h = MakeHarness({{"a.txt", "alpha beta\n"}});
  h.model = Unwrap(engine::Model::Load(path));
  REQUIRE_FALSE(h.model.ChatTemplateSource().empty());
  auto picker = std::make_shared<ScriptedPicker>(
      h.model, std::vector<std::string>{Call("read_file", R"({"path": "a.txt"})"), "It says alpha beta."});
  agent::AgentOptions o = Options(h, picker);
  o.session_name = "real";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("what does a.txt say?"));
  const auto events = PumpTurn(agent.get());
  CHECK(events.back().data["reason"] == "done");
  const auto results = OfKind(events, Event::Kind::kToolResult);
  REQUIRE(results.size() == 1);
  CHECK(results[0].data["text"].get<std::string>().find("alpha beta") != std::string::npos);
  Close(std::move(agent));

  const sessions::SessionInfo info = Unwrap(h.store->Find("real"));
  agent::AgentOptions r = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{}));
  r.resume = "real";
  auto resumed = Unwrap(agent::Agent::Start(std::move(r)));
  resumed->Submit(agent::Op::User("thanks"));
  CHECK(PumpTurn(resumed.get()).back().data["reason"] == "done");
  Close(std::move(resumed));
  nlohmann::json last;
  for (const auto& e : Unwrap(h.store->Events(info.id))) {
    if (e.kind == "assistant_message") last = nlohmann::json::parse(e.payload);
  }
  CHECK(last["reused_tokens"].get<int64_t>() == info.n_tokens);
  CHECK(last["truncated_tokens"].get<int64_t>() == 0);
}

TEST_CASE("the agent runs on Qwen2's real chat template and resumes without re-rendering", "[agent]") {
  RunOnRealTemplate("ggml-vocab-qwen2.gguf", "qwen2");
}

TEST_CASE("the agent runs on Llama 3's real chat template and resumes without re-rendering", "[agent]") {
  RunOnRealTemplate("ggml-vocab-llama-bpe.gguf", "llama");
}

}  // namespace
