// Helpers for the plugin tests: scratch repositories with a plugins.json,
// the test peers, and calling plugin tools.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/plugins.h"
#include "tools/tool.h"

namespace mcp_testing {

// A fresh canonical directory; its .longhaul/plugins.json is what
// LoadPlugins reads. It holds copies of the test peers and examples.
struct PluginRepo {
  std::string root;
  void Write(const std::string& relative, const std::string& content) const;
  std::string Read(const std::string& relative) const;
  bool Exists(const std::string& relative) const;
  // Writes .longhaul/plugins.json as {"plugins": plugins}.
  void Configure(const nlohmann::json& plugins) const;
};
PluginRepo MakePluginRepo();

// Options for `repo`: the test helper binary, a 30 s startup timeout, and
// a degraded sandbox (with a warning) only where this kernel lacks layers.
tools::PluginOptions Options(const PluginRepo& repo);
tools::ToolContext Context(const PluginRepo& repo);

// tests/tools/mcp/peers/NAME and examples/plugins/NAME, as copied into the
// most recently made PluginRepo (the sandbox hides a source tree under
// /tmp from plugins; the repository is always visible). Make the repo first.
std::string Peer(const std::string& name);
std::string Example(const std::string& name);
// The entry point of an npm peer (e.g. "server-everything"), when
// scripts/fetch-npm-peers.sh installed it and node is on PATH.
std::optional<std::string> NpmPeer(const std::string& package);
bool HostHas(const std::string& program);

// An MCP plugin entry that runs a Python peer script with `args`.
nlohmann::json PythonPeer(const std::string& script, const std::vector<std::string>& args = {});

const tools::Tool* Find(const tools::LoadedPlugins& loaded, const std::string& name);
std::vector<std::string> Names(const tools::LoadedPlugins& loaded);
std::string Warnings(const tools::LoadedPlugins& loaded);
// Runs the plugin tool `name`; fails the test if it is missing or Run
// returns a non-OK Status (an internal fault, never right for bad input).
tools::ToolResult Call(const tools::LoadedPlugins& loaded, const std::string& name, const nlohmann::json& arguments,
                       const tools::ToolContext& context);

bool Has(const std::string& text, const std::string& part);

}  // namespace mcp_testing

// Skips the rest of a test loudly when python3 (the peers' language) is absent.
#define REQUIRE_PYTHON()                                                       \
  do {                                                                         \
    if (!::mcp_testing::HostHas("python3")) {                                  \
      WARN("SKIPPED: python3 is not installed; the test peers are Python");    \
      return;                                                                  \
    }                                                                          \
  } while (0)

// Binds `var` to an npm peer's entry point, or skips the rest of the test
// loudly when node or the peers are missing.
#define REQUIRE_NPM_PEER(var, package)                                                        \
  auto var##_opt = ::mcp_testing::NpmPeer(package);                                           \
  if (!var##_opt) {                                                                           \
    WARN("SKIPPED: node or the npm peer " package " is missing; run scripts/fetch-npm-peers.sh"); \
    return;                                                                                   \
  }                                                                                           \
  const std::string var = *var##_opt
