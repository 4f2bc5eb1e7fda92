// The JavaScript text and number semantics the interpreter reproduces.
// Expected strings are what node prints for the same operations.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "engine/chat/jinja_json.h"
#include "engine/chat/jinja_number.h"
#include "engine/chat/jinja_unicode.h"

using namespace engine::jinja;

TEST_CASE("jinja text: numbers print like Number.prototype.toString", "[chat]") {
  CHECK(JsNumberToString(0.1 + 0.2) == "0.30000000000000004");
  CHECK(JsNumberToString(1e21) == "1e+21");
  CHECK(JsNumberToString(1e20) == "100000000000000000000");
  CHECK(JsNumberToString(123e-20) == "1.23e-18");
  CHECK(JsNumberToString(1e-7) == "1e-7");
  CHECK(JsNumberToString(1e-6) == "0.000001");
  CHECK(JsNumberToString(-1.5) == "-1.5");
  CHECK(JsNumberToString(-0.0) == "0");
  CHECK(JsNumberToString(9007199254740993.0) == "9007199254740992");
  CHECK(JsNumberToString(5e-324) == "5e-324");
  CHECK(JsNumberToString(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(JsNumberToString(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(JsNumberToString(-std::numeric_limits<double>::infinity()) == "-Infinity");
  CHECK(JsNumberToString(std::nan("")) == "NaN");
  CHECK(JsNumberToString(123456.789) == "123456.789");

  CHECK(JsFloatToString(2) == "2.0");
  CHECK(JsFloatToString(-0.0) == "-0.0");
  CHECK(JsFloatToString(-3) == "-3.0");
  CHECK(JsFloatToString(1e20) == "100000000000000000000.0");
  CHECK(JsFloatToString(1e21) == "1e+21");
  CHECK(JsFloatToString(2.5) == "2.5");
}

TEST_CASE("jinja text: parseInt, parseFloat and ToNumber", "[chat]") {
  CHECK(JsParseInt("  42px") == 42);
  CHECK(JsParseInt("-7.9") == -7);
  CHECK_FALSE(JsParseInt("x1").has_value());
  CHECK(JsParseInt("0x1A") == 0);
  CHECK(JsParseFloat(" 3.5e2x") == 350);
  CHECK(JsParseFloat(".5") == 0.5);
  CHECK(JsParseFloat("-Infinityx") == -std::numeric_limits<double>::infinity());
  CHECK(JsParseFloat("1e999") == std::numeric_limits<double>::infinity());
  CHECK_FALSE(JsParseFloat("e5").has_value());
  CHECK(JsStringToNumber("  12 ") == 12);
  CHECK(JsStringToNumber("") == 0);
  CHECK(JsStringToNumber("0x10") == 16);
  CHECK(JsStringToNumber("0b101") == 5);
  CHECK(std::isnan(JsStringToNumber("12px")));
  CHECK(std::isnan(JsStringToNumber("-0x10")));
  CHECK(JsStringToNumber("1.") == 1);
}

TEST_CASE("jinja text: trim, UTF-16 length and case mapping", "[chat]") {
  CHECK(JsTrim("\u00a0\t x \u3000\u2028") == "x");
  CHECK(JsTrimStart("\ufeffa ") == "a ");
  CHECK(JsTrimEnd(" a\u0085") == " a\u0085");  // U+0085 is not JS whitespace
  CHECK(Utf16Length("a\u00e9\U0001F600") == 4);
  CHECK(Utf16UnitAt("a\U0001F600b", 1) == "\uFFFD");
  CHECK(Utf16UnitAt("a\U0001F600b", 3) == "b");
  CHECK(JsToUpper("stra\u00dfe \u00ff") == "STRASSE \u0178");
  CHECK(JsToLower("\u039f\u0394\u039f\u03a3 \u03a3") == "\u03bf\u03b4\u03bf\u03c2 \u03c3");
  CHECK(JsToLower("\u0130") == "i\u0307");
  CHECK(CompareUtf16("\U0001F600", "\uFFFF") < 0);  // surrogates sort below U+E000..U+FFFF
  CHECK(CompareUtf16("a", "b") < 0);
  CHECK(JsLocaleCompare("a_b", "a1") < 0);
  CHECK(JsLocaleCompare("aA", "Aa") < 0);
  CHECK(JsLocaleCompare("b", "B") < 0);
  CHECK(JsLocaleCompare("B", "c") < 0);
  CHECK(JsLocaleCompare("a\x01" "b", "ab") == 0);
}

TEST_CASE("jinja text: JSON strings escape like JSON.stringify", "[chat]") {
  std::string out;
  AppendJsonString("q\" b\\ \n\t\x01 \x7f \u2028 \u00e9 \U0001F600", false, &out);
  CHECK(out == "\"q\\\" b\\\\ \\n\\t\\u0001 \x7f \u2028 \u00e9 \U0001F600\"");
  out.clear();
  AppendJsonString("\x7f\u00e9\U0001F600", true, &out);
  CHECK(out == "\"\\u007f\\u00e9\\ud83d\\ude00\"");
}

TEST_CASE("jinja text: context JSON converts like JSON.parse", "[chat]") {
  auto value = FromJson(nlohmann::json::parse(R"({"b": 1.0, "10": [2.5, null, true], "2": "x", "a": -0.0})"));
  REQUIRE(value.ok());
  JsonFormat format;
  auto json = ToJson(*value, format);
  REQUIRE(json.ok());
  CHECK(*json == R"({"2": "x", "10": [2.5, null, true], "a": 0, "b": 1})");
  format.indent = 2;
  json = ToJson(*value, format);
  REQUIRE(json.ok());
  CHECK(*json == "{\n  \"2\": \"x\",\n  \"10\": [\n    2.5,\n    null,\n    true\n  ],\n  \"a\": 0,\n  \"b\": 1\n}");
  CHECK(value->object().Find("b")->is_integer());
}
