// find_symbol: definitions, references with their source lines, scopes,
// kinds, caps and suggestions.
#include <catch2/catch.hpp>

#include "tests/tools/code/code_testing.h"

using code_testing::Has;
using code_testing::LineOf;
using code_testing::Pos;
using code_testing::Run;

namespace {
std::string At(const tools_testing::Repo& repo, const std::string& path, const std::string& needle) {
  return path + ":" + std::to_string(LineOf(repo, path, needle)) + ": ";
}
}  // namespace

TEST_CASE("find_symbol: definitions first, then references with their source lines", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto r = Run(tools, "find_symbol", {{"name", "Record"}}, repo.context);
  REQUIRE(!r.is_error);
  CHECK(Has(r.text, "1 definition of Record:\n" + At(repo, "core/store.h", "struct Record {") +
                        "struct Record {  [struct in core, lines 8-11]\n"));
  CHECK(Has(r.text, At(repo, "app/main.cc", "core::Record record;") + "core::Record record;\n"));
  CHECK(Has(r.text, At(repo, "app/report.cc", "void Add(") +
                        "void Add(const core::Record& record) { count_ += record.key.size(); }\n"));
  CHECK(Pos(r.text, "references to Record") > Pos(r.text, "definition of Record"));
  CHECK(r.details["definitions"] == 1);
  CHECK(r.details["references"].get<int>() >= 5);

  // The definition's own name is not listed as a reference.
  CHECK(!Has(r.text, At(repo, "core/store.h", "struct Record {") + "struct Record {\n"));
}

TEST_CASE("find_symbol: across languages, by scope and by kind", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto get = Run(tools, "find_symbol", {{"name", "Store.Get"}}, repo.context);
  CHECK(Has(get.text, "2 definitions of Store.Get:\n"));
  CHECK(Has(get.text, At(repo, "core/store.h", "bool Get(")));
  CHECK(Has(get.text, At(repo, "core/store.cc", "bool Store::Get(")));
  auto wrong_scope = Run(tools, "find_symbol", {{"name", "Report::Get"}}, repo.context);
  CHECK(Has(wrong_scope.text, "0 definitions of Report::Get:\n"));

  auto store_class = Run(tools, "find_symbol", {{"name", "Store"}, {"kind", "class"}}, repo.context);
  CHECK(Has(store_class.text, "1 definition of Store:\n"));
  auto store_any = Run(tools, "find_symbol", {{"name", "Store"}}, repo.context);
  CHECK(Has(store_any.text, "3 definitions of Store:\n"));  // the class, its constructor's declaration and definition

  auto rust = Run(tools, "find_symbol", {{"name", "Cache"}}, repo.context);
  CHECK(Has(rust.text, At(repo, "rust/lib.rs", "pub struct Cache") + "pub struct Cache {  [struct, lines 1-3]"));
  CHECK(Has(rust.text, At(repo, "rust/lib.rs", "impl Evict for Cache") + "impl Evict for Cache {  [impl"));
  CHECK(Has(rust.text, At(repo, "rust/lib.rs", "pub fn new_cache") + "pub fn new_cache() -> Cache {"));

  auto sh = Run(tools, "find_symbol", {{"name", "build_all"}}, repo.context);
  CHECK(Has(sh.text, At(repo, "scripts/build.sh", "build_all() {")));
  CHECK(Has(sh.text, "1 reference to build_all:\n" + At(repo, "scripts/build.sh", "  build_all")));

  auto py = Run(tools, "find_symbol", {{"name", "load_records"}, {"paths", {"py/cli.py"}}}, repo.context);
  CHECK(Has(py.text, "0 definitions of load_records:\n"));  // analyze.py is outside paths
  CHECK(Has(py.text, At(repo, "py/cli.py", "analyzer = Analyzer(")));
}

TEST_CASE("find_symbol: capped at max_matches; unknown names suggest close ones", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  tools::ToolContext capped = repo.context;
  capped.limits.max_matches = 2;
  auto r = Run(tools, "find_symbol", {{"name", "Record"}}, capped);
  CHECK(Has(r.text, "[stopped after 2 matches; narrow with kind or paths]"));
  size_t lines_with_paths = 0;
  for (size_t p = r.text.find(".cc:"); p != std::string::npos; p = r.text.find(".cc:", p + 1)) ++lines_with_paths;
  for (size_t p = r.text.find(".h:"); p != std::string::npos; p = r.text.find(".h:", p + 1)) ++lines_with_paths;
  CHECK(lines_with_paths == 2);

  auto missing = Run(tools, "find_symbol", {{"name", "store"}}, repo.context);
  CHECK(!missing.is_error);
  CHECK(Has(missing.text, "No definition or reference of store in 16 indexed source files."));
  CHECK(Has(missing.text, "Similar names: Store"));
  CHECK(Has(missing.text, "OpenStore"));
}

TEST_CASE("find_symbol: bad arguments are tool errors", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto kind = Run(tools, "find_symbol", {{"name", "Store"}, {"kind", "widget"}}, repo.context);
  CHECK(kind.is_error);
  CHECK(Has(kind.text, "kind must be one of: function, method, class"));
  CHECK(Run(tools, "find_symbol", {{"name", " "}}, repo.context).is_error);
  auto missing = Run(tools, "find_symbol", nlohmann::json::object(), repo.context);
  CHECK(missing.is_error);
  CHECK(missing.text == "missing required argument \"name\"");
  CHECK(Run(tools, "find_symbol", {{"name", 3}}, repo.context).is_error);
}
