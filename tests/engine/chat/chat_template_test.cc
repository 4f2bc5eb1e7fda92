// The ChatTemplate API: context variables, key order, clock seam, reuse
// across renders and threads.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <time.h>

#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "engine/chat/chat_template.h"
#include "tests/engine/chat/chat_test_util.h"

namespace {

using nlohmann::json;

std::string RenderOk(std::string_view source, const engine::ChatRenderOptions& options) {
  auto tmpl = engine::ChatTemplate::Parse(source);
  INFO(tmpl.status().ToString());
  REQUIRE(tmpl.ok());
  auto out = tmpl->Render(options);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

engine::ChatRenderOptions Messages(json messages) {
  engine::ChatRenderOptions options;
  options.messages = std::move(messages);
  return options;
}

}  // namespace

TEST_CASE("chat template: renders the standard variables", "[chat]") {
  engine::ChatRenderOptions options = Messages(json::array({{{"role", "user"}, {"content", "Hi"}}}));
  options.bos_token = "<s>";
  options.eos_token = "</s>";
  options.add_generation_prompt = false;
  const std::string source =
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}"
      "{% if add_generation_prompt %}[assistant]{% endif %}|{{ tools is defined }}";
  CHECK(RenderOk(source, options) == "<s>[user]Hi</s>|false");
  options.add_generation_prompt = true;
  options.tools = json::array();
  CHECK(RenderOk(source, options) == "<s>[user]Hi</s>[assistant]|true");
}

TEST_CASE("chat template: extra variables override and may not redefine builtins", "[chat]") {
  engine::ChatRenderOptions options = Messages(json::array());
  options.bos_token = "<s>";
  options.extra = {{"bos_token", "<B>"}, {"enable_thinking", false}};
  CHECK(RenderOk("{{ bos_token }} {{ enable_thinking is false }}", options) == "<B> true");

  auto tmpl = engine::ChatTemplate::Parse("{{ 1 }}");
  REQUIRE(tmpl.ok());
  options.extra = {{"range", 1}};
  auto out = tmpl->Render(options);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().code() == base::StatusCode::kInvalidArgument);
  CHECK(out.status().message().find("range") != std::string::npos);
  options.extra = json::array({1});
  CHECK_FALSE(tmpl->Render(options).ok());
}

TEST_CASE("chat template: objects iterate in nlohmann order, integer-like keys first", "[chat]") {
  engine::ChatRenderOptions options = Messages(json::array());
  options.extra = {{"d", {{"name", "f"}, {"10", 1}, {"9", 2}, {"description", "g"}}}};
  CHECK(RenderOk("{{ d | tojson }} {% for k in d %}{{ k }},{% endfor %}", options) ==
        "{\"9\": 2, \"10\": 1, \"description\": \"g\", \"name\": \"f\"} 9,10,description,name,");
}

TEST_CASE("chat template: integral floats in the context are integers, as after JSON.parse", "[chat]") {
  engine::ChatRenderOptions options = Messages(json::array());
  options.extra = {{"a", 2.0}, {"b", 2.5}, {"c", -0.0}};
  CHECK(RenderOk("{{ a }} {{ a is integer }} {{ b }} {{ c }}", options) == "2 true 2.5 0");
}

TEST_CASE("chat template: strftime_now reads the injected clock", "[chat]") {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  base::FakeClock clock(1'700'000'000'000'000);  // 2023-11-14 22:13:20 UTC
  engine::ChatRenderOptions options = Messages(json::array());
  options.clock = &clock;
  CHECK(RenderOk("{{ strftime_now('%Y-%m-%d %H:%M %b %B %% %x') }}", options) == "2023-11-14 22:13 Nov November % %x");
  clock.Advance(int64_t{86'400} * 1'000'000 * 20);
  CHECK(RenderOk("{{ strftime_now('%d %b %Y') }}", options) == "04 Dec 2023");
}

TEST_CASE("chat template: parse once, render many times with different inputs", "[chat]") {
  auto tmpl = engine::ChatTemplate::Parse("{% for m in messages %}{{ m.content | upper }}{% endfor %}");
  REQUIRE(tmpl.ok());
  CHECK(tmpl->source() == "{% for m in messages %}{{ m.content | upper }}{% endfor %}");
  engine::ChatTemplate copy = *tmpl;
  for (int i = 0; i < 5; ++i) {
    auto out = copy.Render(Messages(json::array({{{"content", "m" + std::to_string(i)}}})));
    REQUIRE(out.ok());
    CHECK(*out == "M" + std::to_string(i));
  }
}

TEST_CASE("chat template: one parsed template renders concurrently", "[chat]") {
  const json golden = chat_test::LoadJson(chat_test::GoldenDir() + "/qwen3.json");
  REQUIRE(golden.is_object());
  auto tmpl = engine::ChatTemplate::Parse(golden["chat_template"].get<std::string>());
  REQUIRE(tmpl.ok());
  std::vector<engine::ChatRenderOptions> inputs;
  std::vector<std::string> expected;
  for (const json& c : golden["cases"]) {
    if (!c.contains("expected")) continue;
    inputs.push_back(chat_test::OptionsFromJson(c["options"]));
    expected.push_back(c["expected"].get<std::string>());
  }
  REQUIRE(inputs.size() > 10);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          auto out = tmpl->Render(inputs[(i + static_cast<size_t>(t)) % inputs.size()]);
          if (!out.ok() || *out != expected[(i + static_cast<size_t>(t)) % inputs.size()]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("chat template: tool definitions and tool results render (Qwen3 format)", "[chat]") {
  const json golden = chat_test::LoadJson(chat_test::GoldenDir() + "/qwen3.json");
  REQUIRE(golden.is_object());
  engine::ChatRenderOptions options;
  options.messages = json::array({
      {{"role", "user"}, {"content", "List files"}},
      {{"role", "assistant"},
       {"content", ""},
       {"tool_calls", json::array({{{"type", "function"},
                                    {"function", {{"name", "list_dir"}, {"arguments", {{"path", "."}}}}}}})}},
      {{"role", "tool"}, {"content", "a.txt\nb.txt"}},
  });
  options.tools = json::array({{{"type", "function"},
                                {"function", {{"name", "list_dir"}, {"parameters", {{"type", "object"}}}}}}});
  const std::string out = RenderOk(golden["chat_template"].get<std::string>(), options);
  CHECK(out.find("<tools>\n{\"function\": {\"name\": \"list_dir\", \"parameters\": {\"type\": \"object\"}}, "
                 "\"type\": \"function\"}\n</tools>") != std::string::npos);
  CHECK(out.find("<tool_call>\n{\"name\": \"list_dir\", \"arguments\": {\"path\": \".\"}}\n</tool_call>") !=
        std::string::npos);
  CHECK(out.find("<|im_start|>user\n<tool_response>\na.txt\nb.txt\n</tool_response><|im_end|>\n") != std::string::npos);
  CHECK(out.size() > 400);
  CHECK(out.substr(out.size() - 22) == "<|im_start|>assistant\n");
}
