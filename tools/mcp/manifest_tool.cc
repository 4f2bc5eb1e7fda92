// One tool of a manifest plugin: each call runs its command in the sandbox
// (RunSandboxed) with the arguments on stdin.
#include <cstdio>

#include "tools/mcp/plugin_tools.h"

namespace tools::mcp {
namespace {

constexpr size_t kStderrShownBytes = 1500;

std::string Tail(std::string text, size_t max) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.size() > max ? "..." + text.substr(text.size() - max) : text;
}

class ManifestTool : public Tool {
 public:
  ManifestTool(const PluginSpec& plugin, ManifestToolSpec tool, LaunchSettings launch, std::string exposed_name)
      : plugin_(plugin), tool_(std::move(tool)), launch_(std::move(launch)), name_(std::move(exposed_name)),
        mutating_(IsMutating(plugin_, tool_.name, tool_.read_only)) {}

  std::string name() const override { return name_; }
  std::string description() const override {
    return "[plugin " + plugin_.name + "] " + (tool_.description.empty() ? tool_.name : tool_.description);
  }
  nlohmann::json parameters_schema() const override { return ObjectSchema(tool_.input_schema); }
  bool is_mutating() const override { return mutating_; }

  base::Result<ToolResult> Run(const nlohmann::json& arguments, const ToolContext& context) const override {
    nlohmann::json details = {{"plugin", plugin_.name}, {"tool", tool_.name}};
    if (!arguments.is_object() && !arguments.is_null()) {
      return PluginResult(true, "the arguments must be a JSON object", details, context);
    }
    const double timeout = tool_.timeout_seconds > 0 ? tool_.timeout_seconds : plugin_.timeout_seconds;
    sandbox::ExecOptions options = PluginExecOptions(launch_);
    const nlohmann::json input = arguments.is_null() ? nlohmann::json::object() : arguments;
    options.stdin_data = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    auto run = sandbox::RunSandboxed(PluginPolicy(plugin_, launch_, timeout, plugin_.max_message_bytes),
                                     PluginCommand(tool_.command), options);
    const std::string who = "plugin \"" + plugin_.name + "\": ";
    if (!run.ok()) {
      const base::StatusCode code = run.status().code();
      if (code == base::StatusCode::kFailedPrecondition || code == base::StatusCode::kInvalidArgument) {
        return PluginResult(true, who + "the tool did not run: " + run.status().message(), details, context);
      }
      return run.status();  // the sandbox itself failed: an internal fault
    }
    const sandbox::ExecResult& r = *run;
    details["wall_seconds"] = r.wall_seconds;
    std::string stderr_note = Tail(r.stderr_output.Text(), kStderrShownBytes);
    if (!stderr_note.empty()) stderr_note = "; its stderr ends with:\n" + stderr_note;
    char secs[32];
    std::snprintf(secs, sizeof(secs), "%g s", timeout);
    if (r.timed_out) {
      return PluginResult(true, who + "the tool did not finish within " + std::string(secs) + " and was killed" +
                                    stderr_note, details, context);
    }
    if (r.output_limit_exceeded || r.stdout_output.dropped_bytes() > 0) {
      return PluginResult(true, who + "the tool wrote " + std::to_string(r.stdout_output.total_bytes) +
                                    " bytes on stdout, over the limit of " +
                                    std::to_string(plugin_.max_message_bytes), details, context);
    }
    auto output = ParseManifestOutput(r.stdout_output.Text());
    const bool failed = r.termination != sandbox::Termination::kExited || r.exit_code != 0;
    if (failed) {
      std::string how = r.termination == sandbox::Termination::kExited
                            ? "exited with code " + std::to_string(r.exit_code)
                            : "was killed by signal " + std::to_string(r.signal);
      std::string text = who + "the tool " + how + stderr_note;
      if (output.ok()) text = output->text + "\n[" + text + "]";
      return PluginResult(true, text, details, context);
    }
    if (!output.ok()) return PluginResult(true, who + output.status().message() + stderr_note, details, context);
    return PluginResult(output->is_error, output->text, details, context);
  }

 private:
  PluginSpec plugin_;
  ManifestToolSpec tool_;
  LaunchSettings launch_;
  std::string name_;
  bool mutating_;
};

}  // namespace

std::unique_ptr<Tool> NewManifestTool(const PluginSpec& plugin, ManifestToolSpec tool, LaunchSettings launch,
                                      std::string exposed_name) {
  return std::make_unique<ManifestTool>(plugin, std::move(tool), std::move(launch), std::move(exposed_name));
}

}  // namespace tools::mcp
