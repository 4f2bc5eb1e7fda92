// The built-in tools as the agent sees them: names, schemas, flags.
#include <catch2/catch.hpp>
#include <set>

#include "tools/tool.h"

TEST_CASE("BuiltinTools: all fifteen, sorted by name", "[tools][schema]") {
  std::vector<std::string> names;
  for (const auto& t : tools::BuiltinTools()) names.push_back(t->name());
  CHECK(names == std::vector<std::string>{"code_map", "edit_file", "find_symbol", "git_diff", "git_log", "git_show",
                                          "git_status", "glob", "grep", "list_dir", "outline_file", "read_file",
                                          "read_output", "run_command", "write_file"});
}

TEST_CASE("BuiltinTools: schemas are closed JSON objects with described properties", "[tools][schema]") {
  for (const auto& t : tools::BuiltinTools()) {
    INFO(t->name());
    CHECK(!t->description().empty());
    const nlohmann::json schema = t->parameters_schema();
    CHECK(nlohmann::json::parse(schema.dump()) == schema);
    CHECK(schema.at("type") == "object");
    CHECK(schema.at("additionalProperties") == false);
    REQUIRE(schema.at("properties").is_object());
    CHECK(!schema.at("properties").empty());
    std::set<std::string> known;
    for (const auto& [name, property] : schema.at("properties").items()) {
      INFO(name);
      known.insert(name);
      CHECK(property.at("type").is_string());
      CHECK(!property.at("description").get<std::string>().empty());
    }
    REQUIRE(schema.at("required").is_array());
    for (const auto& r : schema.at("required")) CHECK(known.count(r.get<std::string>()) == 1);
  }
}

TEST_CASE("BuiltinTools: only the tools that change nothing say so", "[tools][schema]") {
  const std::set<std::string> read_only = {"code_map", "find_symbol", "git_diff",     "git_log",   "git_show",
                                           "git_status", "glob",      "grep",         "list_dir",  "outline_file",
                                           "read_file", "read_output"};
  for (const auto& t : tools::BuiltinTools()) {
    INFO(t->name());
    CHECK(t->is_mutating() == (read_only.count(t->name()) == 0));
  }
}

TEST_CASE("BuiltinTools: arguments that are not an object are a tool error", "[tools][schema]") {
  tools::ToolContext context;
  context.repo_root = "/nonexistent-root";
  for (const auto& t : tools::BuiltinTools()) {
    INFO(t->name());
    auto r = t->Run(nlohmann::json::array({1, 2}), context);
    REQUIRE(r.ok());
    CHECK(r->is_error);
    CHECK(r->text.find("must be a JSON object") != std::string::npos);
    auto unknown = t->Run({{"no_such_argument", 1}}, context);
    REQUIRE(unknown.ok());
    CHECK(unknown->is_error);
    CHECK(unknown->text.find("unknown argument \"no_such_argument\"") != std::string::npos);
  }
}
