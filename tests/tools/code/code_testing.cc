#include "tests/tools/code/code_testing.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "tools/text_util.h"

namespace code_testing {

namespace fs = std::filesystem;

tools_testing::Repo MakeFixtureRepo() {
  tools_testing::Repo repo = tools_testing::MakeRepo(true);
  const fs::path fixture = fs::path(LONGHAUL_SOURCE_DIR) / "tests/tools/code/fixture";
  REQUIRE(fs::is_directory(fixture));
  fs::copy(fixture, repo.root, fs::copy_options::recursive);
  repo.Write(".gitignore", "ignored/\n");
  repo.Write("ignored/secret.py", "def hidden_function():\n    pass\n");
  repo.Write("data/blob.c", std::string("int binary_looking(void);\n\0\x01\x02", 29));
  std::string huge;
  while (huge.size() <= (1u << 20)) huge += "def filler_function(): pass\n";
  repo.Write("big/huge.py", huge);
  return repo;
}

std::vector<std::string> FixtureSourceFiles() {
  return {"app/main.cc",     "app/report.cc",  "broken/partial.py", "config/settings.json", "core/checksum.c",
          "core/store.cc",   "core/store.h",   "go/server.go",      "py/analyze.py",        "py/cli.py",
          "rust/lib.rs",     "scripts/build.sh", "scripts/deploy",  "web/client.js",        "web/types.ts",
          "web/view.tsx"};
}

uint32_t LineOf(const tools_testing::Repo& repo, const std::string& relative, const std::string& needle) {
  const std::string content = repo.Read(relative);
  uint32_t number = 0;
  for (std::string_view line : tools::SplitLines(content)) {
    ++number;
    if (line.find(needle) != std::string_view::npos) return number;
  }
  FAIL("no line of " << relative << " contains " << needle);
  return 0;
}

tools::ToolResult Run(const std::vector<std::unique_ptr<tools::Tool>>& tools, const std::string& name,
                      const nlohmann::json& arguments, const tools::ToolContext& context) {
  for (const auto& tool : tools) {
    if (tool->name() != name) continue;
    auto result = tool->Run(arguments, context);
    INFO(name << " " << arguments.dump());
    REQUIRE(result.ok());
    INFO(result->text);
    CHECK(result->text.size() <= std::max<uint64_t>(context.limits.model_output_bytes, 1));
    CHECK(result->truncated == (result->text != result->full_output));
    CHECK_NOTHROW(result->details.dump());
    return *result;
  }
  FAIL("no tool named " << name);
  return {};
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
size_t Pos(const std::string& text, const std::string& part) { return text.find(part); }

}  // namespace code_testing
