// outline_file: nested definitions with line ranges, and the files it
// refuses.
#include <catch2/catch.hpp>

#include "tests/tools/code/code_testing.h"

using code_testing::Has;
using code_testing::LineOf;
using code_testing::Run;

TEST_CASE("outline_file: definitions in order, nested, with line ranges", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto r = Run(tools, "outline_file", {{"path", "core/store.h"}}, repo.context);
  REQUIRE(!r.is_error);
  const auto line = [&](const std::string& needle) { return std::to_string(LineOf(repo, "core/store.h", needle)); };
  CHECK(r.text == "core/store.h (C++, 25 lines, 7 definitions)\n" + line("namespace core {") + "-25: namespace core {\n" +
                      "  " + line("struct Record {") + "-11: struct Record {\n" +
                      "  " + line("class Store {") + "-21: class Store {\n" +
                      "    " + line("explicit Store(") + ": explicit Store(const std::string& path);\n" +
                      "    " + line("bool Get(") + ": bool Get(const std::string& key, Record* out) const;\n" +
                      "    " + line("void Put(") + ": void Put(const Record& record);\n" +
                      "  " + line("Store* OpenStore(") + ": Store* OpenStore(const std::string& path);\n");
  CHECK(r.details["definitions"].size() == 7);
  CHECK(r.details["definitions"][3]["kind"] == "method");
  CHECK(r.details["definitions"][3]["depth"] == 2);
  CHECK(r.details["language"] == "C++");
}

TEST_CASE("outline_file: scripts by #!, broken files, and files outside the index", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto deploy = Run(tools, "outline_file", {{"path", "scripts/deploy"}}, repo.context);
  CHECK(deploy.text == "scripts/deploy (Bash, 5 lines, 1 definition)\n2-4: deploy_site() {\n");
  auto broken = Run(tools, "outline_file", {{"path", "broken/partial.py"}}, repo.context);
  CHECK(Has(broken.text, "class AfterError:\n"));
  CHECK(Has(broken.text, "  " + std::to_string(LineOf(repo, "broken/partial.py", "def still_found")) + "-"));
  CHECK(Has(broken.text, "[the file has syntax errors; definitions inside the broken parts may be missing]"));
  CHECK(broken.details["parse_errors"] == true);
  auto ignored = Run(tools, "outline_file", {{"path", "ignored/secret.py"}}, repo.context);  // named outright
  CHECK(Has(ignored.text, "1-2: def hidden_function():\n"));
  auto json = Run(tools, "outline_file", {{"path", "config/settings.json"}}, repo.context);
  CHECK(Has(json.text, "(JSON, 7 lines, 3 definitions)"));
  CHECK(Has(json.text, "4-6: \"storage\": {\n"));
  repo.Write("empty.py", "# nothing here\n");
  CHECK(Has(Run(tools, "outline_file", {{"path", "empty.py"}}, repo.context).text, "No definitions found."));
}

TEST_CASE("outline_file: unsupported, binary, large, missing and outside files are errors", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  const auto tools = tools::BuiltinTools();
  auto text = Run(tools, "outline_file", {{"path", "notes.txt"}}, repo.context);
  CHECK(text.is_error);
  CHECK(Has(text.text, "notes.txt is none of them"));
  auto binary = Run(tools, "outline_file", {{"path", "data/blob.c"}}, repo.context);
  CHECK(binary.is_error);
  CHECK(Has(binary.text, "data/blob.c is a binary file"));
  auto large = Run(tools, "outline_file", {{"path", "big/huge.py"}}, repo.context);
  CHECK(large.is_error);
  CHECK(Has(large.text, "big/huge.py is too large to outline"));
  auto missing = Run(tools, "outline_file", {{"path", "core/nope.h"}}, repo.context);
  CHECK(missing.is_error);
  CHECK(Has(missing.text, "file not found: core/nope.h"));
  auto dir = Run(tools, "outline_file", {{"path", "core"}}, repo.context);
  CHECK(dir.is_error);
  CHECK(Has(dir.text, "core is a directory"));
  auto outside = Run(tools, "outline_file", {{"path", "../../etc/passwd"}}, repo.context);
  CHECK(outside.is_error);
  CHECK(Has(outside.text, "outside the repository"));
  CHECK(Run(tools, "outline_file", {{"path", true}}, repo.context).is_error);
}
