// plugins.json: which plugins exist and how to run them. Private to tools/;
// the format is documented in examples/plugins/README.md.
//
//   {"plugins": {
//      "NAME": {"command": "node", "args": [...], "env": {"K": "V"},
//               "tools": [...], "read_only_tools": [...], "mutating_tools": [...],
//               "network": false, "timeout_seconds": 60,
//               "startup_timeout_seconds": 30, "max_message_bytes": 4194304,
//               "protocol": "auto" | "2025-11-25" | "2026-07-28",
//               "enabled": true},
//      "NAME2": {"manifest": "path/to/manifest.json", ...}}}
//
// A file that cannot be read as that shape is an error naming the file;
// one bad entry is a warning naming the file and the entry, and the others
// still load. Unknown keys are errors: a misspelt "netwrok" must not
// silently mean "no network".
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tools/mcp/mcp_client.h"

namespace tools::mcp {

enum class PluginKind { kMcp, kManifest };

struct PluginSpec {
  std::string name;    // [A-Za-z0-9][A-Za-z0-9_-]*, no "__"
  std::string origin;  // the plugins.json it came from
  PluginKind kind = PluginKind::kMcp;
  bool enabled = true;

  // kMcp: the server. A relative `command` containing '/' is made absolute
  // against the file's base directory; `${REPO_ROOT}` and `${CONFIG_DIR}`
  // are expanded in command, args and env values.
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  ProtocolChoice protocol = ProtocolChoice::kAuto;
  double startup_timeout_seconds = 0;  // 0: the caller's default

  // kManifest: the manifest file, absolute.
  std::string manifest;

  // Both kinds.
  std::optional<std::vector<std::string>> tools;  // allow-list of tool names
  std::vector<std::string> read_only_tools;       // "*" means every tool
  std::vector<std::string> mutating_tools;        // "*" means every tool
  bool network = false;
  double timeout_seconds = 60;  // per call
  uint64_t max_message_bytes = 4 * 1024 * 1024;
};

struct PluginConfig {
  std::vector<PluginSpec> plugins;  // sorted by name
  std::vector<std::string> warnings;
};

struct ConfigSource {
  std::string origin;     // the file's path, for messages
  std::string base_dir;   // relative paths resolve against it
  std::string repo_root;  // ${REPO_ROOT}
};

// kInvalidArgument naming `source.origin` when the text is not JSON or
// lacks the "plugins" object.
base::Result<PluginConfig> ParsePluginConfig(std::string_view text, const ConfigSource& source);

// `user` entries replace `repo` entries of the same name (a user can turn a
// repository's plugin off with {"enabled": false}). Disabled entries are
// dropped. Warnings of both are kept.
PluginConfig MergePluginConfigs(PluginConfig repo, PluginConfig user);

// Config wins over the server: a tool named in mutating_tools is mutating,
// else one named in read_only_tools is read-only, else "*" in either list
// decides (mutating_tools first), else the server's readOnlyHint, else it
// is mutating.
bool IsMutating(const PluginSpec& spec, const std::string& tool, std::optional<bool> read_only_hint);

}  // namespace tools::mcp
