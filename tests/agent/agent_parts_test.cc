// The agent's parts: tool-call parsing, syntax detection, the transcript's
// prefix bookkeeping, and the prompt's stability.
#include "agent/core/conversation.h"
#include "agent/core/prompt.h"
#include "agent/core/tool_call.h"
#include "agent/core/transcript.h"
#include "tests/agent/agent_test_util.h"

namespace {

using namespace agent;
using agent_test::Unwrap;

TEST_CASE("Hermes calls are found in order, and an unclosed one is a framing error", "[agent]") {
  const auto calls = FindToolCalls(
      "I will look.<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call> then "
      "<tool_call>{\"name\": \"b\"}</tool_call><tool_call>{\"name\"",
      engine::ToolCallSyntax::kHermes);
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].json == "{\"name\": \"a\", \"arguments\": {}}");
  CHECK(calls[1].json == "{\"name\": \"b\"}");
  CHECK(calls[0].framing_error.empty());
  CHECK_FALSE(calls[2].framing_error.empty());
  CHECK(FindToolCalls("no calls here", engine::ToolCallSyntax::kHermes).empty());
}

TEST_CASE("Llama 3 JSON calls are the whole reply, with or without the python tag", "[agent]") {
  CHECK(FindToolCalls("  {\"name\": \"x\", \"parameters\": {}}", engine::ToolCallSyntax::kLlama3Json).size() == 1);
  CHECK(FindToolCalls("<|python_tag|>{\"name\": \"x\"}", engine::ToolCallSyntax::kLlama3Json).size() == 1);
  CHECK(FindToolCalls("Sure! {\"name\": \"x\"}", engine::ToolCallSyntax::kLlama3Json).empty());
  CHECK(CallJustOpened(" {", engine::ToolCallSyntax::kLlama3Json));
  CHECK_FALSE(CallJustOpened("a {", engine::ToolCallSyntax::kLlama3Json));
  CHECK(CallJustOpened("ok <tool_call>", engine::ToolCallSyntax::kHermes));
}

TEST_CASE("ParseToolCall accepts arguments or parameters and explains what is wrong", "[agent]") {
  auto a = Unwrap(ParseToolCall(R"({"name": "f", "arguments": {"x": 1}})", engine::ToolCallSyntax::kHermes));
  CHECK(a.name == "f");
  CHECK(a.arguments["x"] == 1);
  auto b = Unwrap(ParseToolCall(R"({"name": "f", "parameters": {"y": 2}})", engine::ToolCallSyntax::kLlama3Json));
  CHECK(b.arguments["y"] == 2);
  auto c = Unwrap(ParseToolCall(R"({"name": "f", "arguments": "{\"z\": 3}"})", engine::ToolCallSyntax::kHermes));
  CHECK(c.arguments["z"] == 3);
  auto bad = ParseToolCall("{\"name\": ", engine::ToolCallSyntax::kHermes);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("not valid JSON") != std::string::npos);
  CHECK(bad.status().message().find("<tool_call>") != std::string::npos);
  auto noname = ParseToolCall(R"({"arguments": {}})", engine::ToolCallSyntax::kHermes);
  REQUIRE_FALSE(noname.ok());
  CHECK(noname.status().message().find("\"name\"") != std::string::npos);
  auto notobj = ParseToolCall(R"({"name": "f", "arguments": [1]})", engine::ToolCallSyntax::kHermes);
  REQUIRE_FALSE(notobj.ok());
  CHECK(notobj.status().message().find("must be a JSON object") != std::string::npos);
}

TEST_CASE("the tool-call syntax is detected from the template", "[agent]") {
  CHECK(DetectSyntax("{% if tools %}<tool_call>{% endif %}") == engine::ToolCallSyntax::kHermes);
  CHECK(DetectSyntax("<|start_header_id|>ipython<|end_header_id|>") == engine::ToolCallSyntax::kLlama3Json);
  CHECK(DetectSyntax("{{ messages }}") == engine::ToolCallSyntax::kHermes);
}

TEST_CASE("the transcript prefills only the new suffix and rolls back where the render changed", "[agent]") {
  auto model = Unwrap(engine::Model::Load(agent_test::TinyModelPath()));
  auto ctx = agent_test::MakeContext(model);
  Transcript t(ctx.get());
  auto s1 = Unwrap(t.Sync("<|im_start|>user\nhello there<|im_end|>\n", {}, nullptr));
  CHECK(s1.reused_tokens == 0);
  CHECK(s1.prefilled_tokens == ctx->n_past());
  const int64_t n1 = ctx->n_past();
  auto s2 = Unwrap(t.Sync("<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n", {}, nullptr));
  CHECK(s2.reused_tokens == n1);
  CHECK(s2.truncated_tokens == 0);
  CHECK(ctx->n_past() == n1 + s2.prefilled_tokens);
  // A render that differs inside the second delta rolls back to the first.
  auto s3 = Unwrap(t.Sync("<|im_start|>user\nhello there<|im_end|>\n<|im_start|>system\nx", {}, nullptr));
  CHECK(s3.reused_tokens == n1);
  CHECK(s3.truncated_tokens == s2.prefilled_tokens);
  CHECK(t.text() == "<|im_start|>user\nhello there<|im_end|>\n<|im_start|>system\nx");
  CHECK(ctx->n_past() == static_cast<int64_t>(t.tokens().size()));
  // The logits match a context that prefilled the final text in one piece
  // at the same token boundaries.
  auto fresh = agent_test::MakeContext(model);
  REQUIRE(fresh->Eval(t.tokens()).ok());
  const auto a = ctx->logits(), b = fresh->logits();
  float max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i) max_diff = std::max(max_diff, std::abs(a[i] - b[i]));
  CHECK(max_diff < 1e-3f);
}

TEST_CASE("the rendered prefix is deterministic and freezes the session's clock", "[agent]") {
  auto model = Unwrap(engine::Model::Load(agent_test::TinyModelPath()));
  SessionSettings s;
  s.system_prompt = std::string(DefaultSystemPrompt());
  s.tools = nlohmann::json::array({{{"name", "b"}, {"description", "B"}, {"parameters", {{"type", "object"}}}},
                                   {{"name", "a"}, {"description", "A"}, {"parameters", {{"type", "object"}}}}});
  s.created_unix_micros = 1'700'000'000'000'000;
  auto r1 = Unwrap(PromptRenderer::Create(model, s));
  auto r2 = Unwrap(PromptRenderer::Create(model, Unwrap(SessionSettings::FromJson(s.ToJson()))));
  const nlohmann::json msgs = nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}});
  const std::string a = Unwrap(r1.Render(msgs, true));
  CHECK(a == Unwrap(r2.Render(msgs, true)));
  CHECK(a.find("<tools>") != std::string::npos);  // the tiny template has no tools: the system message lists them
  CHECK(a.find("<tool_call>") != std::string::npos);
  CHECK(a.ends_with("<|im_start|>assistant\n"));
  CHECK_FALSE(SessionSettings::FromJson(nlohmann::json{{"tools", 3}}).ok());
}

}  // namespace

namespace {

TEST_CASE("a damaged event log gives a clear error, never an exception", "[agent]") {
  agent::Conversation conv;
  CHECK(conv.Apply(agent::kEvUserMessage, {{"text", "hi"}}).ok());
  const base::Status wrong_type =
      conv.Apply(agent::kEvAssistantMessage, {{"text", "x"}, {"n_past_after", "not a number"}});
  CHECK(wrong_type.code() == base::StatusCode::kCorruption);
  CHECK(wrong_type.message().find("assistant_message") != std::string::npos);
  CHECK(conv.Apply(agent::kEvToolResult, {{"id", "c1"}, {"text", "t"}, {"full_output", 3}}).code() ==
        base::StatusCode::kCorruption);
  CHECK(conv.Apply(agent::kEvUserMessage, nlohmann::json::array()).code() == base::StatusCode::kCorruption);
  CHECK(conv.Apply(agent::kEvUndo, {{"keep_messages", 99}}).code() == base::StatusCode::kCorruption);
  CHECK_FALSE(agent::SessionSettings::FromJson({{"system_prompt", "s"},
                                                {"tools", nlohmann::json::array()},
                                                {"tool_syntax", "hermes"},
                                                {"tool_choice", 7}})
                  .ok());
}

}  // namespace

namespace {

TEST_CASE("the files a session's calls name bias the code map, most recent first", "[agent]") {
  agent::Conversation conv;
  auto call = [&](const std::string& id, const nlohmann::json& args) {
    REQUIRE(conv.Apply(agent::kEvToolCall, {{"id", id}, {"name", "read_file"}, {"arguments", args}}).ok());
  };
  call("c1", {{"path", "a.cc"}});
  call("c2", {{"path", "b.py"}});
  call("c3", {{"pattern", "x"}});  // no path
  call("c4", nlohmann::json::array());  // malformed arguments are not an error here
  call("c5", {{"path", "a.cc"}});
  CHECK(conv.touched_files() == std::vector<std::string>{"a.cc", "b.py"});
  for (size_t i = 0; i < agent::Conversation::kMaxTouchedFiles + 5; ++i) {
    call("d" + std::to_string(i), {{"path", "f" + std::to_string(i)}});
  }
  CHECK(conv.touched_files().size() == agent::Conversation::kMaxTouchedFiles);
  CHECK(conv.touched_files().front() == "f" + std::to_string(agent::Conversation::kMaxTouchedFiles + 4));
}

}  // namespace
