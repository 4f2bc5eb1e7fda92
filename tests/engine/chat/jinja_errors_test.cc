// Bad templates and runaway templates come back as Status with a position,
// never as a crash, an abort or an exhausted stack.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/chat/chat_template.h"
#include "tests/engine/chat/chat_test_util.h"

namespace {

using nlohmann::json;

base::Status ParseError(std::string_view source) {
  auto tmpl = engine::ChatTemplate::Parse(source);
  return tmpl.ok() ? base::Status() : tmpl.status();
}

base::Status RenderError(std::string_view source, engine::ChatRenderOptions options = {}) {
  auto tmpl = engine::ChatTemplate::Parse(source);
  if (!tmpl.ok()) return base::Internal("unexpected parse error: " + tmpl.status().ToString());
  auto out = tmpl->Render(options);
  return out.ok() ? base::Status() : out.status();
}

bool Contains(const base::Status& s, std::string_view text) { return s.message().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("jinja errors: syntax errors name line and column", "[chat]") {
  struct Case {
    const char* source;
    const char* position;
  };
  const Case cases[] = {
      {"line one\n  {% if x %}\n{{ 1 + }}\n{% endif %}", "3:8"},  // the `}}` after a dangling `+`
      {"{{ a @ b }}", "1:6"},
      {"ok\n\n   {{ 'unterminated }}", "3:"},
      {"{% for x in items %}\n{{ x }}", "unclosed"},
      {"{% frobnicate %}", "1:4"},
      {"a\n{% macro m(a=1, b) %}{% endmacro %}", "2:"},
      {"{{ x |  }}", "1:9"},
      {"{# never closed", "1:"},
  };
  for (const Case& c : cases) {
    INFO(c.source);
    base::Status status = ParseError(c.source);
    INFO(status.ToString());
    REQUIRE_FALSE(status.ok());
    CHECK(status.code() == base::StatusCode::kInvalidArgument);
    CHECK(Contains(status, "syntax error"));
    CHECK(Contains(status, c.position));
  }
}

TEST_CASE("jinja errors: runtime errors name the failing node", "[chat]") {
  engine::ChatRenderOptions options;
  options.extra = {{"x", "text"}};
  base::Status status = RenderError("ab\n  {{ x | frobnicate }}", options);
  INFO(status.ToString());
  REQUIRE_FALSE(status.ok());
  CHECK(Contains(status, "2:"));
  CHECK(Contains(status, "frobnicate"));
  // Unknown filters only fail when reached, as in the reference.
  CHECK(RenderError("{% if false %}{{ x | frobnicate }}{% endif %}", options).ok());

  status = RenderError("{{ 'a' < 'b' }}");
  CHECK(Contains(status, "1:8"));
  CHECK(Contains(status, "Unknown operator"));
  CHECK(Contains(RenderError("{% for x in 5 %}{% endfor %}"), "IntegerValue"));
  CHECK(Contains(RenderError("{{ x.y() }}"), "not a function"));
  CHECK(Contains(RenderError("a{% break %}"), "break outside of a loop"));
}

TEST_CASE("jinja errors: raise_exception returns the template's message", "[chat]") {
  base::Status status = RenderError("x{{ raise_exception('Conversation roles must alternate') }}y");
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == base::StatusCode::kInvalidArgument);
  CHECK(Contains(status, "raised an exception: Conversation roles must alternate"));

  const json golden = chat_test::LoadJson(chat_test::GoldenDir() + "/gemma3.json");
  REQUIRE(golden.is_object());
  engine::ChatRenderOptions options;
  options.messages = json::array({{{"role", "user"}, {"content", "a"}}, {{"role", "user"}, {"content", "b"}}});
  status = RenderError(golden["chat_template"].get<std::string>(), options);
  CHECK(Contains(status, "Conversation roles must alternate user/assistant/user/assistant/..."));
}

TEST_CASE("jinja errors: infinite recursion stops at the depth limit", "[chat]") {
  base::Status status = RenderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  CHECK(Contains(status, "deeper than"));

  status = RenderError(
      "{% macro wrap() %}{{ caller() }}{% endmacro %}"
      "{% macro f() %}{% call wrap() %}{{ f() }}{% endcall %}{% endmacro %}{{ f() }}");
  CHECK(status.code() == base::StatusCode::kResourceExhausted);

  engine::ChatRenderOptions options;
  options.limits.max_depth = 40;
  status = RenderError("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(100) }}", options);
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  options.limits.max_depth = 500;
  CHECK(RenderError("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(20) }}", options).ok());
}

TEST_CASE("jinja errors: runaway loops stop at the step budget", "[chat]") {
  engine::ChatRenderOptions options;
  options.limits.max_steps = 100'000;
  base::Status status = RenderError(
      "{% for i in range(20000) %}{% for j in range(20000) %}{{ i }}{% endfor %}{% endfor %}", options);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  CHECK(Contains(status, "steps"));
  options.limits.max_array_items = 1000;
  CHECK(RenderError("{{ range(1000) | length }}", options).ok());
  CHECK(RenderError("{{ range(1001) | length }}", options).code() == base::StatusCode::kResourceExhausted);
  CHECK(RenderError("{% set ns = namespace(a=[1]) %}{% for i in range(20) %}{% set ns.a = ns.a + ns.a %}{% endfor %}",
                    options).code() == base::StatusCode::kResourceExhausted);
}

TEST_CASE("jinja errors: output and strings are capped", "[chat]") {
  engine::ChatRenderOptions options;
  options.limits.max_output_bytes = 1 << 16;
  base::Status status = RenderError(
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", options);
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  status = RenderError("{% for i in range(100000) %}0123456789{% endfor %}", options);
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  status = RenderError("{{ ('x' * 1) }}", options);  // not supported by the reference either
  CHECK(status.code() == base::StatusCode::kInvalidArgument);
  status = RenderError("{{ 'abcdefgh'.replace('', 'abcdefghijklmnop') | length }}", options);
  CHECK(status.ok());
  options.extra = {{"big", std::string(1 << 15, 'a')}};
  status = RenderError("{{ big.replace('', big) }}", options);
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  status = RenderError("{{ [1] | tojson(indent=100000) }}", options);
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
}

TEST_CASE("jinja errors: deep nesting is refused, not a stack overflow", "[chat]") {
  const std::string parens = "{{ " + std::string(20000, '(') + "1" + std::string(20000, ')') + " }}";
  base::Status status = ParseError(parens);
  CHECK(status.code() == base::StatusCode::kInvalidArgument);
  CHECK(Contains(status, "too deeply"));
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  CHECK(Contains(ParseError(ifs), "too deeply"));
  CHECK(ParseError("{{ " + std::string(20000, '-') + "1 }}").code() == base::StatusCode::kInvalidArgument);
  CHECK(ParseError("{{ " + std::string(20000, '[') + " }}").code() == base::StatusCode::kInvalidArgument);
  std::string nots = "{{ ";
  for (int i = 0; i < 20000; ++i) nots += "not ";
  CHECK(ParseError(nots + "1 }}").code() == base::StatusCode::kInvalidArgument);
  std::string calls = "{{ f";
  for (int i = 0; i < 20000; ++i) calls += "()";
  CHECK(ParseError(calls + " }}").code() == base::StatusCode::kInvalidArgument);

  // Deeply nested context data.
  json deep = json::array();
  for (int i = 0; i < 5000; ++i) deep = json::array({std::move(deep)});
  engine::ChatRenderOptions options;
  options.messages = deep;
  CHECK(RenderError("{{ messages | length }}", options).code() == base::StatusCode::kInvalidArgument);
  // Values built deeper than the limit are refused as they are built.
  status = RenderError(
      "{% set ns = namespace(a=[]) %}{% for i in range(100000) %}{% set ns.a = [ns.a] %}{% endfor %}");
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
  CHECK(Contains(status, "nested deeper"));
  // A namespace that contains itself cannot be printed.
  status = RenderError("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns | tojson }}");
  CHECK(status.code() == base::StatusCode::kResourceExhausted);
}

TEST_CASE("jinja errors: mutated real templates never crash", "[chat]") {
  std::mt19937 rng(1234);
  const char kAlphabet[] = "{}%#-+()[]'\"|.,:~*/<>=! \n\tabcxyz019_";
  std::vector<engine::ChatRenderOptions> inputs;
  const json features = chat_test::LoadJson(chat_test::GoldenDir() + "/qwen3.json");
  REQUIRE(features.is_object());
  for (const json& c : features["cases"]) inputs.push_back(chat_test::OptionsFromJson(c["options"]));
  size_t parsed = 0, rendered = 0, total = 0;
  for (const char* name : {"qwen3", "llama3", "deepseek_v3", "gemma3", "mistral_nemo"}) {
    const json golden = chat_test::LoadJson(chat_test::GoldenDir() + "/" + name + ".json");
    REQUIRE(golden.is_object());
    const std::string original = golden["chat_template"].get<std::string>();
    for (int round = 0; round < 150; ++round) {
      std::string mutated = original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !mutated.empty(); ++e) {
        const size_t at = rng() % mutated.size();
        const char c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
        switch (rng() % 3) {
          case 0: mutated.erase(at, 1 + rng() % 8); break;
          case 1: mutated.insert(at, 1, c); break;
          default: mutated[at] = c;
        }
      }
      ++total;
      auto tmpl = engine::ChatTemplate::Parse(mutated);
      if (!tmpl.ok()) {
        CHECK(tmpl.status().code() == base::StatusCode::kInvalidArgument);
        continue;
      }
      ++parsed;
      auto out = tmpl->Render(inputs[static_cast<size_t>(round) % inputs.size()]);
      rendered += out.ok() ? 1 : 0;
    }
  }
  // The mutations must exercise both the parser's error paths and rendering.
  CHECK(parsed > total / 10);
  CHECK(parsed < total);
  CHECK(rendered > 0);
}
