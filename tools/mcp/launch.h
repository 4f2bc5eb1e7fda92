// How a plugin's commands are confined: the sandbox policy and command
// line shared by MCP servers and manifest tools. Private to tools/.
//
// The policy is the default of DESIGN.md section 6 (repository writable
// except .git, the rest read-only, secrets under the home directory hidden,
// private /tmp, every layer required unless allow_degraded_sandbox), with
// network only when the plugin's config says "network": true, and the
// plugin's "env" set inside on top of the usual allow-list.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"
#include "tools/mcp/plugin_config.h"

namespace tools::mcp {

struct LaunchSettings {
  std::string repo_root;  // canonical; the commands' working directory
  std::string home_dir;   // whose secrets are hidden
  std::string helper_binary;
  bool allow_degraded_sandbox = false;
  double startup_timeout_seconds = 30;
};

// The home directory (canonical when it exists), from $HOME or passwd.
std::string CurrentHomeDir();

// `timeout_seconds` is the wall-clock limit (for a long-lived server: the
// setup only); `output_cap_bytes` is kept per stream.
sandbox::Policy PluginPolicy(const PluginSpec& spec, const LaunchSettings& launch, double timeout_seconds,
                             uint64_t output_cap_bytes);

// argv as given, run at the repository root, with this process's
// environment for the policy's allow-list to filter.
sandbox::CommandSpec PluginCommand(std::vector<std::string> argv);

sandbox::ExecOptions PluginExecOptions(const LaunchSettings& launch);

}  // namespace tools::mcp
