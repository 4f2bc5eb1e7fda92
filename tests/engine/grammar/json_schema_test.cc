// The JSON-schema grammar accepts exactly the texts it should: checked by
// running the byte matcher over hand-picked valid and invalid texts, and
// over random walks through the grammar that must always parse as JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "engine/grammar/json_schema.h"
#include "engine/grammar/matcher.h"

namespace {

using engine::grammar::Grammar;
using engine::grammar::Matcher;
using engine::grammar::State;

std::shared_ptr<const Grammar> Compile(const std::string& schema, engine::grammar::JsonGrammarLimits limits = {}) {
  engine::grammar::GrammarBuilder b;
  auto root = engine::grammar::CompileJsonSchema(nlohmann::ordered_json::parse(schema), limits, &b);
  INFO(root.status().ToString());
  REQUIRE(root.ok());
  auto g = std::move(b).Build(*root);
  INFO(g.status().ToString());
  REQUIRE(g.ok());
  return std::make_shared<const Grammar>(std::move(*g));
}

// 1: complete, 0: a valid prefix, -1: rejected.
int Classify(const std::shared_ptr<const Grammar>& g, const std::string& text) {
  Matcher m(g);
  State s = m.Start(), next;
  for (char c : text) {
    m.Advance(s, static_cast<uint8_t>(c), &next);
    if (next.empty()) return -1;
    s.swap(next);
  }
  return Matcher::IsComplete(s) ? 1 : 0;
}

// Samples a random complete text: uniform over the bytes each state allows.
std::string RandomWalk(const std::shared_ptr<const Grammar>& g, std::mt19937* rng, int max_bytes) {
  Matcher m(g);
  State s = m.Start(), next;
  std::string out;
  while (static_cast<int>(out.size()) < max_bytes) {
    std::vector<uint8_t> options;
    for (int b = 0; b < 256; ++b) {
      m.Advance(s, static_cast<uint8_t>(b), &next);
      if (!next.empty()) options.push_back(static_cast<uint8_t>(b));
    }
    const bool can_stop = Matcher::IsComplete(s);
    if (options.empty() || (can_stop && (*rng)() % 4 == 0)) break;
    const uint8_t b = options[(*rng)() % options.size()];
    m.Advance(s, b, &next);
    s.swap(next);
    out.push_back(static_cast<char>(b));
  }
  return out;
}

const char* kWeather = R"({
  "type": "object",
  "properties": {
    "city": {"type": "string", "maxLength": 12},
    "days": {"type": "integer"},
    "unit": {"enum": ["c", "f"]},
    "tags": {"type": "array", "items": {"type": "boolean"}, "maxItems": 3}
  },
  "required": ["city", "days"]
})";

}  // namespace

TEST_CASE("Schema grammar accepts matching JSON and rejects the rest", "[grammar][schema]") {
  auto g = Compile(kWeather);
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3})") == 1);
  CHECK(Classify(g, R"({"city":"Oslo","days":-12,"unit":"f","tags":[true, false]})") == 1);
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3, "tags": []})") == 1);
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3)") == 0);  // a prefix
  CHECK(Classify(g, R"({"city": "Oslo"})") == -1);           // "days" is required
  CHECK(Classify(g, R"({"days": 3, "city": "Oslo"})") == -1);  // declaration order
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3, "extra": 1})") == -1);
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3.5})") == -1);
  CHECK(Classify(g, R"({"city": "Oslo", "days": 03})") == -1);  // no leading zeros
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3, "unit": "k"})") == -1);
  CHECK(Classify(g, R"({"city": "Oslo", "days": 3, "tags": [true, true, true, true]})") == -1);  // maxItems
  CHECK(Classify(g, R"({"city": "Reykjavikkkkkk", "days": 3})") == -1);  // maxLength 12
  CHECK(Classify(g, "{\"city\": \"O\nslo\", \"days\": 3}") == -1);       // raw control char
  CHECK(Classify(g, R"({"city": "Os\"lo\u00e5", "days": 3})") == 1);     // escapes
  CHECK(Classify(g, "{\"city\": \"Troms\xc3\xb8\", \"days\": 3}") == 1);  // UTF-8
  CHECK(Classify(g, "{\"city\": \"Troms\xc3\", \"days\": 3}") == -1);     // broken UTF-8
  CHECK(Classify(g, "{\"city\": \"\xe0\x80\xaf\", \"days\": 3}") == -1);  // overlong
  CHECK(Classify(g, "{\"city\": \"\xed\xa0\x80\", \"days\": 3}") == -1);  // surrogate
}

TEST_CASE("Optional-only objects, anyOf, $ref recursion and free-form values", "[grammar][schema]") {
  auto opt = Compile(R"({"type":"object","properties":{"a":{"type":"null"},"b":{"type":"boolean"}}})");
  for (const char* ok : {"{}", R"({"a": null})", R"({"b": false})", R"({"a":null,"b":true})"}) {
    INFO(ok);
    CHECK(Classify(opt, ok) == 1);
  }
  CHECK(Classify(opt, R"({,"b": true})") == -1);
  CHECK(Classify(opt, R"({"b": true,})") == -1);

  auto any_of = Compile(R"({"anyOf":[{"type":"number"},{"type":"string","maxLength":3}]})");
  CHECK(Classify(any_of, "-1.5e+3") == 1);
  CHECK(Classify(any_of, R"("abc")") == 1);
  CHECK(Classify(any_of, R"("abcd")") == -1);

  auto tree = Compile(R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
      "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},"$ref":"#/$defs/node"})");
  CHECK(Classify(tree, R"({"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": [{"v": 4}]}]})") == 1);
  CHECK(Classify(tree, R"({"v": 1, "kids": [{"w": 2}]})") == -1);

  auto free = Compile(R"({})");
  CHECK(Classify(free, R"({"x": [1, "two", null, {"y": true}]})") == 1);
}

TEST_CASE("Bad schemas are clear errors", "[grammar][schema]") {
  auto error = [](const std::string& schema) {
    engine::grammar::GrammarBuilder b;
    auto r = engine::grammar::CompileJsonSchema(nlohmann::ordered_json::parse(schema), {}, &b);
    return r.ok() ? std::string("OK") : r.status().ToString();
  };
  CHECK_THAT(error(R"({"type":"strnig"})"), Catch::Contains("unknown type 'strnig'"));
  CHECK_THAT(error(R"({"$ref":"http://x/y"})"), Catch::Contains("unresolved '$ref'"));
  CHECK_THAT(error(R"({"enum":[]})"), Catch::Contains("'enum'"));
  CHECK_THAT(error(R"({"type":"array","minItems":5,"maxItems":2})"), Catch::Contains("minItems > maxItems"));
  CHECK_THAT(error("false"), Catch::Contains("admits no value"));
  CHECK_THAT(error("3"), Catch::Contains("must be an object"));
}

TEST_CASE("Every random walk through a schema grammar parses and matches", "[grammar][schema]") {
  engine::grammar::JsonGrammarLimits limits;
  limits.max_string_chars = 8;
  limits.max_array_items = 4;
  limits.max_free_members = 3;
  limits.max_free_depth = 2;
  auto g = Compile(kWeather, limits);
  auto free = Compile("{}", limits);
  std::mt19937 rng(42);
  int complete = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string text = RandomWalk(i % 2 ? g : free, &rng, 1 << 20);
    INFO(text);
    REQUIRE(Classify(i % 2 ? g : free, text) == 1);  // bounded: a walk always finishes
    auto j = nlohmann::json::parse(text, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    if (i % 2) {
      CHECK(j["city"].is_string());
      CHECK(j["days"].is_number_integer());
      if (j.contains("unit")) CHECK((j["unit"] == "c" || j["unit"] == "f"));
    }
    ++complete;
  }
  CHECK(complete == 300);
}

TEST_CASE("Left recursion is refused when the grammar is built", "[grammar]") {
  engine::grammar::GrammarBuilder b;
  const uint32_t a = b.NewRule("a");
  const uint32_t opt = b.NewRule("opt");
  b.AddAlternative(opt, {});
  b.AddAlternative(a, {engine::grammar::Symbol::Ref(opt), engine::grammar::Symbol::Ref(a),
                       engine::grammar::Symbol::Byte('x')});
  b.AddAlternative(a, {engine::grammar::Symbol::Byte('y')});
  auto g = std::move(b).Build(a);
  REQUIRE_FALSE(g.ok());
  CHECK_THAT(g.status().ToString(), Catch::Contains("'a' is left-recursive"));
}
