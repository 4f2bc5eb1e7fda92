// Plugin tools: MCP servers over stdio, and executables described by a
// JSON manifest (DESIGN.md section 6; the format and a walk-through are in
// examples/plugins/README.md).
//
// Plugins are declared in <repo>/.longhaul/plugins.json and in the user's
// own plugins.json (DefaultUserPluginConfigPath); the user's entry wins
// over the repository's of the same name, and {"enabled": false} turns one
// off. Every plugin runs in the sandbox, with network only when its entry
// says "network": true.
//
// LoadPlugins starts each MCP server, connects (MCP 2025-11-25 through the
// initialize handshake; servers that answer the server/discover probe with
// 2026-07-28 are spoken to statelessly), lists its tools and returns one
// Tool per plugin tool, named "<plugin>__<tool>" and sorted by name, so the
// list the model sees is the same across restarts. A plugin that cannot be
// read or started is left out and named in `warnings`; the others load.
//
// At call time a server that crashes, hangs past its timeout or breaks the
// protocol (a line that is not JSON, one over max_message_bytes) gives the
// model an error result, and the agent loop goes on; the server is started
// again once, on the next call. The tools of one plugin share its server
// and their calls are serialized; the server stops when the last of them
// is destroyed.
//
// Threading: LoadPlugins may be called from any thread and blocks until
// every plugin has started or failed (they start in parallel). The tools
// follow tool.h's contract.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tools/tool.h"

namespace tools {

struct PluginOptions {
  std::string repo_root;         // absolute; <repo_root>/.longhaul/plugins.json is read when present
  std::string user_config_path;  // the user's plugins.json; empty or absent: none
  std::string helper_binary;     // the longhaul binary for the sandbox helper; empty: this process's
  bool allow_degraded_sandbox = false;  // run plugins with the layers the kernel has
  double startup_timeout_seconds = 30;  // per plugin, unless its entry says otherwise
};

struct LoadedPlugins {
  std::vector<std::unique_ptr<Tool>> tools;  // sorted by name
  std::vector<std::string> warnings;         // one line per problem, naming the file or plugin
};

// Errors: kInvalidArgument for a repo_root that is not an existing
// directory. Everything about the plugins themselves is a warning.
base::Result<LoadedPlugins> LoadPlugins(const PluginOptions& options);

// $XDG_CONFIG_HOME/longhaul/plugins.json, else ~/.config/longhaul/plugins.json.
std::string DefaultUserPluginConfigPath();

}  // namespace tools
