#include "tests/tools/mcp/mcp_testing.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/sandbox.h"
#include "tests/testing.h"
#include "tests/tools/tools_testing.h"

namespace mcp_testing {
namespace {

namespace fs = std::filesystem;

}  // namespace

void PluginRepo::Write(const std::string& relative, const std::string& content) const {
  fs::path p = fs::path(root) / relative;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

std::string PluginRepo::Read(const std::string& relative) const {
  std::ifstream in(fs::path(root) / relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool PluginRepo::Exists(const std::string& relative) const { return fs::exists(fs::path(root) / relative); }

void PluginRepo::Configure(const nlohmann::json& plugins) const {
  Write(".longhaul/plugins.json", nlohmann::json{{"plugins", plugins}}.dump(2));
}

namespace {

// Where Peer and Example find their files: a copy inside the latest
// PluginRepo. The sandbox gives plugins a private /tmp, so a source tree
// checked out under /tmp would be invisible to them; the repository is
// always mounted.
std::string g_staged_root;

void Stage(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, ec);
  INFO("staging " << from << " into " << to << ": " << ec.message());
  REQUIRE_FALSE(ec);
}

}  // namespace

PluginRepo MakePluginRepo() {
  char real[PATH_MAX];
  std::string dir = testing::MakeTempDir("longhaul-plugins");
  PluginRepo repo;
  repo.root = ::realpath(dir.c_str(), real) != nullptr ? std::string(real) : dir;
  Stage(std::string(LONGHAUL_SOURCE_DIR) + "/tests/tools/mcp/peers", repo.root + "/.test-peers");
  Stage(std::string(LONGHAUL_SOURCE_DIR) + "/examples/plugins", repo.root + "/.test-examples");
  g_staged_root = repo.root;
  return repo;
}

tools::PluginOptions Options(const PluginRepo& repo) {
  tools::PluginOptions options;
  options.repo_root = repo.root;
  options.helper_binary = TOOLS_SANDBOX_HELPER;
  options.startup_timeout_seconds = 30;
  const std::string missing = tools_testing::MissingSandboxLayers();
  if (!missing.empty()) {
    WARN("this kernel lacks" << missing << "; plugins run in a degraded sandbox for this test");
    options.allow_degraded_sandbox = true;
  }
  return options;
}

tools::ToolContext Context(const PluginRepo& repo) {
  tools::ToolContext context;
  context.repo_root = repo.root;
  context.helper_binary = TOOLS_SANDBOX_HELPER;
  return context;
}

std::string Peer(const std::string& name) {
  REQUIRE_FALSE(g_staged_root.empty());  // make a PluginRepo first
  return g_staged_root + "/.test-peers/" + name;
}

std::string Example(const std::string& name) {
  REQUIRE_FALSE(g_staged_root.empty());
  return g_staged_root + "/.test-examples/" + name;
}

bool HostHas(const std::string& program) {
  return std::system(("command -v '" + program + "' >/dev/null 2>&1").c_str()) == 0;
}

std::optional<std::string> NpmPeer(const std::string& package) {
  // Resolved: the sandbox's /tmp is private, so a path through a link
  // into the host's /tmp would not be seen inside.
  std::string entry = std::string(LONGHAUL_SOURCE_DIR) + "/third_party/npm-peers/mcp/node_modules/@modelcontextprotocol/" +
                      package + "/dist/index.js";
  char real[PATH_MAX];
  if (::realpath(entry.c_str(), real) == nullptr || !HostHas("node")) return std::nullopt;
  return std::string(real);
}

nlohmann::json PythonPeer(const std::string& script, const std::vector<std::string>& args) {
  nlohmann::json argv = nlohmann::json::array({Peer(script)});
  for (const std::string& a : args) argv.push_back(a);
  return {{"command", "python3"}, {"args", argv}, {"env", {{"PYTHONDONTWRITEBYTECODE", "1"}}}};
}

const tools::Tool* Find(const tools::LoadedPlugins& loaded, const std::string& name) {
  for (const auto& t : loaded.tools) {
    if (t->name() == name) return t.get();
  }
  return nullptr;
}

std::vector<std::string> Names(const tools::LoadedPlugins& loaded) {
  std::vector<std::string> names;
  for (const auto& t : loaded.tools) names.push_back(t->name());
  return names;
}

std::string Warnings(const tools::LoadedPlugins& loaded) {
  std::string all;
  for (const std::string& w : loaded.warnings) all += w + "\n";
  return all;
}

tools::ToolResult Call(const tools::LoadedPlugins& loaded, const std::string& name, const nlohmann::json& arguments,
                       const tools::ToolContext& context) {
  const tools::Tool* tool = Find(loaded, name);
  INFO("tool " << name << "; loaded: " << Warnings(loaded));
  REQUIRE(tool != nullptr);
  auto result = tool->Run(arguments, context);
  INFO("status: " << result.status().ToString());
  REQUIRE(result.ok());
  return *result;
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace mcp_testing
