// The Tool objects plugins contribute. Private to tools/.
//
// Names are "<plugin>__<tool>": built-in names never contain "__", so a
// plugin cannot shadow one, and two plugins cannot collide. Characters a
// model API would refuse (anything but letters, digits, '_' and '-') become
// '_'; a name longer than 64 characters is left out with a warning.
// Descriptions start with "[plugin NAME] "; schemas are the server's (or
// the manifest's), made an object schema when they are not one.
//
// Results follow the built-ins' conventions (tool.h): valid UTF-8, cut
// head and tail to limits.model_output_bytes with the whole kept in
// full_output; details name the plugin and the tool.
//
// Threading: the tools are immutable; Run may be called from several
// threads (an MCP plugin's calls are serialized by its host).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/mcp/launch.h"
#include "tools/mcp/manifest.h"
#include "tools/mcp/plugin_host.h"
#include "tools/tool.h"

namespace tools::mcp {

std::optional<std::string> ExposedToolName(const std::string& plugin, const std::string& tool);

// {"type": "object", ...}: `schema` when it is an object schema, else an
// empty one.
nlohmann::json ObjectSchema(const nlohmann::json& schema);

std::unique_ptr<Tool> NewMcpTool(std::shared_ptr<PluginHost> host, const McpToolInfo& info, std::string exposed_name);

std::unique_ptr<Tool> NewManifestTool(const PluginSpec& plugin, ManifestToolSpec tool, LaunchSettings launch,
                                      std::string exposed_name);

// Sanitized, cut to the context's budget, with `details`.
ToolResult PluginResult(bool is_error, const std::string& text, nlohmann::json details, const ToolContext& context);

}  // namespace tools::mcp
