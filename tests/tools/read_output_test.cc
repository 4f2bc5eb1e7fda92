// read_output: paging through a stored full output.
#include <catch2/catch.hpp>
#include <map>

#include "tests/tools/tools_testing.h"

using tools_testing::Call;

namespace {
bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

tools::ToolContext WithStore(const std::map<std::string, std::string>* store) {
  tools::ToolContext context;
  context.repo_root = "/";
  context.lookup_output = [store](std::string_view id) -> base::Result<std::string> {
    auto it = store->find(std::string(id));
    if (it == store->end()) return base::NotFound("no output " + std::string(id));
    return it->second;
  };
  return context;
}

// The page's content between the header line and the trailing note.
std::string Body(const std::string& text) {
  const size_t start = text.find('\n') + 1;
  const size_t end = text.rfind("\n[");
  return text.substr(start, end - start);
}
}  // namespace

TEST_CASE("read_output: pages through a stored output to the end", "[tools][read_output]") {
  std::string whole;
  for (int i = 0; i < 400; ++i) whole += "row " + std::to_string(i) + "\n";
  std::map<std::string, std::string> store = {{"call-1", whole}};
  tools::ToolContext context = WithStore(&store);
  context.limits.model_output_bytes = 1024;
  std::string seen;
  uint64_t offset = 0;
  for (int page = 0; page < 100; ++page) {
    auto r = Call("read_output", {{"output_id", "call-1"}, {"offset", offset}}, context);
    REQUIRE(!r.is_error);
    CHECK(!r.truncated);
    CHECK(Has(r.text, "[output call-1, bytes " + std::to_string(offset) + "-"));
    std::string body = Body(r.text);
    const uint64_t end = r.details["end"];
    REQUIRE(end > offset);
    seen += whole.substr(offset, end - offset);
    offset = end;
    if (Has(r.text, "[end of output]")) break;
    CHECK(Has(r.text, "offset=" + std::to_string(end)));
  }
  CHECK(seen == whole);
  auto small = Call("read_output", {{"output_id", "call-1"}, {"offset", 4}, {"length", 5}}, context);
  CHECK(Has(small.text, "\n0\nrow\n"));
}

TEST_CASE("read_output: pages start and end on UTF-8 boundaries", "[tools][read_output]") {
  std::map<std::string, std::string> store = {{"u", "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"}};  // €€€
  tools::ToolContext context = WithStore(&store);
  auto r = Call("read_output", {{"output_id", "u"}, {"offset", 1}, {"length", 4}}, context);
  CHECK(!r.is_error);
  CHECK(r.details["offset"] == 0);
  CHECK(r.details["end"] == 3);
}

TEST_CASE("read_output: unknown ids, offsets past the end and no store are errors", "[tools][read_output]") {
  std::map<std::string, std::string> store = {{"a", "abc"}};
  tools::ToolContext context = WithStore(&store);
  auto unknown = Call("read_output", {{"output_id", "zzz"}}, context);
  CHECK(unknown.is_error);
  CHECK(Has(unknown.text, "no stored output has output_id \"zzz\""));
  auto past = Call("read_output", {{"output_id", "a"}, {"offset", 3}}, context);
  CHECK(past.is_error);
  CHECK(Has(past.text, "offset 3 is past the end of output a, which is 3 bytes"));
  auto negative = Call("read_output", {{"output_id", "a"}, {"offset", -1}}, context);
  CHECK(negative.is_error);
  CHECK(negative.text == "offset must be a non-negative integer (got -1)");
  tools::ToolContext none;
  none.repo_root = "/";
  auto unavailable = Call("read_output", {{"output_id", "a"}}, none);
  CHECK(unavailable.is_error);
  CHECK(Has(unavailable.text, "read_output is not available here"));
}
