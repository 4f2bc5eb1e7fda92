// Helpers for the code map tests: the fixture repository and running the
// code tools on one shared tool set (so that the index persists across
// calls, as it does in the agent).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/tools/tools_testing.h"
#include "tools/tool.h"

namespace code_testing {

// tests/tools/code/fixture copied into a fresh git repository, plus what is
// better not committed: a .gitignore with an ignored source file, a
// binary file with a source extension (data/blob.c), and a Python file
// over the 1 MiB limit (big/huge.py).
tools_testing::Repo MakeFixtureRepo();

// The supported, indexable files of MakeFixtureRepo, sorted.
std::vector<std::string> FixtureSourceFiles();

// The 1-based number of the first line of `relative` containing `needle`;
// fails the test when there is none.
uint32_t LineOf(const tools_testing::Repo& repo, const std::string& relative, const std::string& needle);

// Runs the tool `name` from `tools`; fails the test on an internal fault
// and checks the invariants every result keeps.
tools::ToolResult Run(const std::vector<std::unique_ptr<tools::Tool>>& tools, const std::string& name,
                      const nlohmann::json& arguments, const tools::ToolContext& context);

bool Has(const std::string& text, const std::string& part);
// Position of `part` in `text`, or npos.
size_t Pos(const std::string& text, const std::string& part);

}  // namespace code_testing
