// code_map: ranking, budgets, filters, determinism and argument errors.
#include <catch2/catch.hpp>

#include "tests/tools/code/code_testing.h"
#include "tools/code/token_estimate.h"

using code_testing::Has;
using code_testing::LineOf;
using code_testing::Pos;
using code_testing::Run;

namespace {

// The file headers of a map, in order.
std::vector<std::string> MapFiles(const std::string& text) {
  std::vector<std::string> files;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    if (!line.empty() && line[0] != ' ' && line[0] != '[' && line.back() == ':' && line.find(' ') == std::string::npos) {
      files.push_back(line.substr(0, line.size() - 1));
    }
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return files;
}

}  // namespace

TEST_CASE("code_map: files in rank order with their definitions and line numbers", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto r = Run(tools, "code_map", nlohmann::json::object(), repo.context);
  REQUIRE(!r.is_error);
  const std::vector<std::string> files = MapFiles(r.text);
  REQUIRE(files.size() >= 2);
  CHECK(files[0] == "core/store.h");
  auto position = [&](const std::string& path) { return std::find(files.begin(), files.end(), path) - files.begin(); };
  CHECK(position("core/store.cc") < position("app/main.cc"));
  CHECK(Has(r.text, "  " + std::to_string(LineOf(repo, "core/store.h", "class Store {")) + ": class Store {\n"));
  CHECK(Has(r.text, "  " + std::to_string(LineOf(repo, "core/store.h", "bool Get(")) +
                        ":   bool Get(const std::string& key, Record* out) const;\n"));
  CHECK(!Has(r.text, "namespace core {"));  // namespaces are left out of the map
  CHECK(Has(r.text, "go/server.go:\n"));
  CHECK(Has(r.text, "type Server struct {"));
  CHECK(!Has(r.text, "notes.txt"));
  CHECK(!Has(r.text, "hidden_function"));
  CHECK(!Has(r.text, "filler_function"));
  CHECK(tools::EstimateTokens(r.text) <= 2048);
  CHECK(r.details["files_indexed"] == code_testing::FixtureSourceFiles().size());
  CHECK(r.details["tokens"] == tools::EstimateTokens(r.text));
  CHECK(r.details["files"][0] == "core/store.h");
  CHECK(r.details["skipped_binary"] == 1);
  CHECK(!r.truncated);
}

TEST_CASE("code_map: never over max_tokens; more budget shows more", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  size_t previous_definitions = 0;
  for (int budget : {128, 160, 250, 400, 700, 1200, 4000}) {
    INFO("max_tokens " << budget);
    auto r = Run(tools, "code_map", {{"max_tokens", budget}}, repo.context);
    REQUIRE(!r.is_error);
    CHECK(tools::EstimateTokens(r.text) <= static_cast<size_t>(budget));
    const size_t shown = r.details["definitions_shown"].get<size_t>();
    CHECK(shown >= previous_definitions);
    previous_definitions = shown;
    if (shown < r.details["definitions_total"].get<size_t>()) CHECK(Has(r.text, "raise max_tokens"));
  }
  CHECK(previous_definitions == Run(tools, "code_map", {{"max_tokens", 4000}}, repo.context)
                                    .details["definitions_total"]
                                    .get<size_t>());

  // A small byte limit binds before the token budget, and nothing is cut.
  tools::ToolContext narrow = repo.context;
  narrow.limits.model_output_bytes = 600;
  auto small = Run(tools, "code_map", {{"max_tokens", 4000}}, narrow);
  CHECK(!small.is_error);
  CHECK(small.text.size() <= 600);
  CHECK(!small.truncated);
}

TEST_CASE("code_map: the same repository gives byte-identical maps", "[tools][code]") {
  auto a = code_testing::MakeFixtureRepo();
  auto b = code_testing::MakeFixtureRepo();
  const auto first = Run(tools::BuiltinTools(), "code_map", {{"max_tokens", 600}}, a.context).text;
  const auto tools = tools::BuiltinTools();
  CHECK(Run(tools, "code_map", {{"max_tokens", 600}}, b.context).text == first);
  CHECK(Run(tools, "code_map", {{"max_tokens", 600}}, b.context).text == first);  // warm index
}

TEST_CASE("code_map: paths filter what is shown; focus and touched files move files up", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto web = Run(tools, "code_map", {{"paths", {"web"}}}, repo.context);
  REQUIRE(!web.is_error);
  for (const auto& f : MapFiles(web.text)) CHECK(f.rfind("web/", 0) == 0);
  CHECK(MapFiles(web.text).size() == 3);
  auto py = Run(tools, "code_map", {{"paths", {"*.py"}}}, repo.context);
  CHECK(MapFiles(py.text) == std::vector<std::string>{"py/analyze.py", "broken/partial.py", "py/cli.py"});
  CHECK(Has(py.text, "class AfterError:"));  // the broken file's valid part

  auto plain = MapFiles(Run(tools, "code_map", nlohmann::json::object(), repo.context).text);
  auto position = [](const std::vector<std::string>& files, const std::string& path) {
    return std::find(files.begin(), files.end(), path) - files.begin();
  };
  auto focused = MapFiles(Run(tools, "code_map", {{"focus", {"rust"}}}, repo.context).text);
  CHECK(position(focused, "rust/lib.rs") == 0);
  CHECK(position(plain, "rust/lib.rs") > 0);

  tools::ToolContext touched = repo.context;
  touched.touched_files = {"scripts/build.sh", "./go/server.go"};
  auto biased = MapFiles(Run(tools, "code_map", nlohmann::json::object(), touched).text);
  CHECK(position(biased, "scripts/build.sh") < position(plain, "scripts/build.sh"));
  CHECK(position(biased, "go/server.go") < position(plain, "go/server.go"));
  CHECK(position(biased, "scripts/build.sh") < position(biased, "go/server.go"));  // most recent first
}

TEST_CASE("code_map: bad arguments and empty repositories", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto small = Run(tools, "code_map", {{"max_tokens", 10}}, repo.context);
  CHECK(small.is_error);
  CHECK(small.text == "max_tokens must be an integer of at least 128 (got 10)");
  CHECK(Run(tools, "code_map", {{"max_tokens", "lots"}}, repo.context).is_error);
  auto not_list = Run(tools, "code_map", {{"paths", "web"}}, repo.context);
  CHECK(not_list.is_error);
  CHECK(not_list.text == "paths must be a list of strings (got \"web\")");
  auto none = Run(tools, "code_map", {{"paths", {"nowhere"}}}, repo.context);
  CHECK(none.is_error);
  CHECK(Has(none.text, "paths (nowhere) match no indexed source file"));
  auto glob = Run(tools, "code_map", {{"paths", {"src/[ab"}}}, repo.context);
  CHECK(glob.is_error);
  CHECK(Has(glob.text, "paths entry \"src/[ab\""));
  auto escape = Run(tools, "code_map", {{"focus", {"../etc"}}}, repo.context);
  CHECK(escape.is_error);
  CHECK(Has(escape.text, "relative to the repository root"));
  CHECK(Run(tools, "code_map", {{"paths", {"/etc"}}}, repo.context).is_error);

  auto empty = tools_testing::MakeRepo(false);
  empty.Write("README.md", "# nothing to parse\n");
  auto nothing = Run(tools, "code_map", nlohmann::json::object(), empty.context);
  CHECK(!nothing.is_error);
  CHECK(Has(nothing.text, "No source files to map"));
}

TEST_CASE("code_map: the code tools share one index; an edit re-parses one file", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto cold = Run(tools, "code_map", nlohmann::json::object(), repo.context);
  CHECK(cold.details["parsed"] == code_testing::FixtureSourceFiles().size());
  auto warm = Run(tools, "find_symbol", {{"name", "Store"}}, repo.context);
  CHECK(warm.details["parsed"] == 0);

  repo.Write("go/server.go", repo.Read("go/server.go") + "\nfunc ListenAndServeForever() {}\n");
  auto edited = Run(tools, "code_map", {{"paths", {"go"}}}, repo.context);
  CHECK(edited.details["parsed"] == 1);
  CHECK(edited.details["reused"] == code_testing::FixtureSourceFiles().size() - 1);
  CHECK(Has(edited.text, "func ListenAndServeForever() {}"));
  auto removed = Run(tools, "find_symbol", {{"name", "ListenAndServeForever"}}, repo.context);
  CHECK(Has(removed.text, "1 definition of ListenAndServeForever"));
}
