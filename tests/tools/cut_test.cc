// CutHeadAndTail: the budget, the marker, and UTF-8 boundaries.
#include <catch2/catch.hpp>
#include <string>

#include "tools/text_util.h"
#include "tools/tool.h"

namespace {

// Splits a cut result (of a text without newlines) into head, omitted count, tail.
struct Parts {
  std::string head, tail;
  uint64_t omitted = 0;
};
Parts Split(const std::string& cut) {
  Parts p;
  const size_t open = cut.find("\n[... ");
  REQUIRE(open != std::string::npos);
  const size_t close = cut.find(" ...]\n", open);
  REQUIRE(close != std::string::npos);
  p.head = cut.substr(0, open);
  p.tail = cut.substr(close + 6);
  p.omitted = std::stoull(cut.substr(open + 6));
  return p;
}

}  // namespace

TEST_CASE("CutHeadAndTail: text within the budget comes back unchanged", "[tools][cut]") {
  CHECK(tools::CutHeadAndTail("hello", 5, "id") == "hello");
  CHECK(tools::CutHeadAndTail("", 0, "") == "");
  const std::string exact(1000, 'x');
  CHECK(tools::CutHeadAndTail(exact, 1000, "id") == exact);
}

TEST_CASE("CutHeadAndTail: keeps head and tail, names the omitted bytes and the output id", "[tools][cut]") {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += static_cast<char>('a' + i % 26);
  const std::string cut = tools::CutHeadAndTail(text, 300, "call-7");
  CHECK(cut.size() <= 300);
  CHECK(cut.find("read_output with output_id=\"call-7\" shows the rest") != std::string::npos);
  const Parts p = Split(cut);
  CHECK(text.compare(0, p.head.size(), p.head) == 0);
  CHECK(text.compare(text.size() - p.tail.size(), p.tail.size(), p.tail) == 0);
  CHECK(p.head.size() + p.omitted + p.tail.size() == text.size());
  CHECK(p.head.size() > 50);
  CHECK(p.tail.size() > 50);
}

TEST_CASE("CutHeadAndTail: without an output id the marker does not offer read_output", "[tools][cut]") {
  const std::string cut = tools::CutHeadAndTail(std::string(500, 'z'), 100, "");
  CHECK(cut.size() <= 100);
  CHECK(cut.find("bytes omitted") != std::string::npos);
  CHECK(cut.find("read_output") == std::string::npos);
}

TEST_CASE("CutHeadAndTail: never splits a multi-byte UTF-8 character", "[tools][cut]") {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  for (uint64_t max = 100; max < 260; ++max) {
    INFO("max_bytes " << max);
    const std::string cut = tools::CutHeadAndTail(text, max, "x");
    CHECK(cut.size() <= max);
    CHECK(tools::SanitizeUtf8(cut) == cut);  // valid UTF-8 throughout
    const Parts p = Split(cut);
    CHECK(p.head.size() + p.omitted + p.tail.size() == text.size());
  }
}

TEST_CASE("CutHeadAndTail: a budget too small for the marker keeps only the head", "[tools][cut]") {
  const std::string text = "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC";  // four €
  CHECK(tools::CutHeadAndTail(text, 7, "id") == "\xE2\x82\xAC\xE2\x82\xAC");
  CHECK(tools::CutHeadAndTail(text, 2, "id").empty());
}

TEST_CASE("CutHeadAndTail: prefers to cut at line breaks", "[tools][cut]") {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + " of the output\n";
  const std::string cut = tools::CutHeadAndTail(text, 1000, "id");
  CHECK(cut.size() <= 1000);
  const size_t marker = cut.find("\n[... ");
  REQUIRE(marker != std::string::npos);
  CHECK(cut.substr(marker - 10, 10).find("output") != std::string::npos);  // head ends on a whole line
  const size_t after = cut.find(" ...]\n") + 6;
  CHECK(cut.compare(after, 5, "line ") == 0);  // tail starts on a whole line
  CHECK(cut.back() == '\n');
}

TEST_CASE("SanitizeUtf8 replaces invalid bytes and keeps valid text", "[tools][cut]") {
  CHECK(tools::SanitizeUtf8("ok \xC3\xA9") == "ok \xC3\xA9");
  CHECK(tools::SanitizeUtf8("bad \xFF!") == "bad \xEF\xBF\xBD!");
  CHECK(tools::SanitizeUtf8("cut \xE2\x82") == "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(tools::SanitizeUtf8("overlong \xC0\xAF") == "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
}
