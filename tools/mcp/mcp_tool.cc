// One tool of an MCP plugin: forwards the call to the plugin's host.
#include <algorithm>
#include <cctype>

#include "tools/mcp/plugin_tools.h"
#include "tools/text_util.h"

namespace tools::mcp {
namespace {

constexpr size_t kMaxToolName = 64;

class McpTool : public Tool {
 public:
  McpTool(std::shared_ptr<PluginHost> host, const McpToolInfo& info, std::string exposed_name)
      : host_(std::move(host)), info_(info), name_(std::move(exposed_name)),
        mutating_(IsMutating(host_->spec(), info.name, info.read_only_hint)) {}

  std::string name() const override { return name_; }
  std::string description() const override {
    return "[plugin " + host_->spec().name + "] " + (info_.description.empty() ? info_.name : info_.description);
  }
  nlohmann::json parameters_schema() const override { return ObjectSchema(info_.input_schema); }
  bool is_mutating() const override { return mutating_; }

  base::Result<ToolResult> Run(const nlohmann::json& arguments, const ToolContext& context) const override {
    nlohmann::json details = {{"plugin", host_->spec().name}, {"tool", info_.name},
                              {"protocol", host_->protocol_version()}};
    if (!arguments.is_object() && !arguments.is_null()) {
      return PluginResult(true, "the arguments must be a JSON object", details, context);
    }
    McpCallResult r = host_->Call(info_.name, arguments.is_null() ? nlohmann::json::object() : arguments);
    return PluginResult(r.is_error, r.text, std::move(details), context);
  }

 private:
  std::shared_ptr<PluginHost> host_;
  McpToolInfo info_;
  std::string name_;
  bool mutating_;
};

}  // namespace

std::optional<std::string> ExposedToolName(const std::string& plugin, const std::string& tool) {
  std::string name = plugin + "__" + tool;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  }
  if (name.size() > kMaxToolName) return std::nullopt;
  return name;
}

nlohmann::json ObjectSchema(const nlohmann::json& schema) {
  const nlohmann::json empty = {{"type", "object"}, {"properties", nlohmann::json::object()}};
  if (!schema.is_object()) return empty;
  auto type = schema.find("type");
  if (type == schema.end()) {
    nlohmann::json typed = schema;
    typed["type"] = "object";
    return typed;
  }
  return *type == "object" ? schema : empty;
}

ToolResult PluginResult(bool is_error, const std::string& text, nlohmann::json details, const ToolContext& context) {
  ToolResult r;
  r.is_error = is_error;
  r.full_output = SanitizeUtf8(text);
  r.text = CutHeadAndTail(r.full_output, context.limits.model_output_bytes, context.output_id);
  r.truncated = r.text.size() != r.full_output.size();
  r.details = std::move(details);
  return r;
}

std::unique_ptr<Tool> NewMcpTool(std::shared_ptr<PluginHost> host, const McpToolInfo& info, std::string exposed_name) {
  return std::make_unique<McpTool>(std::move(host), info, std::move(exposed_name));
}

}  // namespace tools::mcp
