// LoadPlugins (tools/plugins.h): read both configs, start every plugin in
// parallel, and gather their tools in a stable order.
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "tools/mcp/launch.h"
#include "tools/mcp/manifest.h"
#include "tools/mcp/plugin_config.h"
#include "tools/mcp/plugin_host.h"
#include "tools/mcp/plugin_tools.h"
#include "tools/plugins.h"

namespace tools {
namespace {

using mcp::PluginSpec;

constexpr std::streamsize kMaxConfigBytes = 1024 * 1024;

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

base::Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::NotFound(path + ": cannot be read");
  std::string text(static_cast<size_t>(kMaxConfigBytes) + 1, '\0');
  in.read(text.data(), kMaxConfigBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > static_cast<size_t>(kMaxConfigBytes)) return base::InvalidArgument(path + ": larger than 1 MiB");
  return text;
}

mcp::PluginConfig ReadConfig(const mcp::ConfigSource& source, std::vector<std::string>* warnings) {
  if (!IsFile(source.origin)) return {};
  auto text = ReadSmallFile(source.origin);
  auto config = text.ok() ? mcp::ParsePluginConfig(*text, source) : base::Result<mcp::PluginConfig>(text.status());
  if (!config.ok()) {
    warnings->push_back(config.status().message() + "; no plugins from this file");
    return {};
  }
  return std::move(*config);
}

struct PluginOutcome {
  std::vector<std::unique_ptr<Tool>> tools;
  std::vector<std::string> warnings;
};

// Gathers one plugin's tools: applies its allow-list, names them, and
// warns about names that cannot be used and allow-list entries nobody
// offers.
class ToolCollector {
 public:
  ToolCollector(const PluginSpec& spec, std::string where) : spec_(spec), where_(std::move(where)) {}

  template <typename Make>
  void Offer(const std::string& tool, Make make) {
    offered_.insert(tool);
    if (spec_.tools && std::find(spec_.tools->begin(), spec_.tools->end(), tool) == spec_.tools->end()) return;
    std::optional<std::string> name = mcp::ExposedToolName(spec_.name, tool);
    if (!name) {
      Warn("tool \"" + tool + "\" left out: its name would exceed 64 characters");
    } else if (!taken_.insert(*name).second) {
      Warn("tool \"" + tool + "\" left out: another of its tools is also named " + *name);
    } else {
      out_.tools.push_back(make(*name));
    }
  }

  void Warn(const std::string& text) { out_.warnings.push_back(where_ + text); }

  PluginOutcome Finish() {
    if (spec_.tools) {
      for (const std::string& t : *spec_.tools) {
        if (!offered_.count(t)) Warn("\"tools\" names \"" + t + "\", which the plugin does not offer");
      }
    }
    return std::move(out_);
  }

 private:
  const PluginSpec& spec_;
  const std::string where_;
  PluginOutcome out_;
  std::set<std::string> offered_, taken_;
};

PluginOutcome LoadMcp(const PluginSpec& spec, const mcp::LaunchSettings& launch, const std::string& where) {
  ToolCollector collector(spec, where);
  std::vector<std::string> list_warnings;
  auto host = mcp::PluginHost::Start(spec, launch, &list_warnings);
  for (const std::string& w : list_warnings) collector.Warn(w);
  if (!host.ok()) {
    collector.Warn("not started: " + host.status().message());
    return collector.Finish();
  }
  std::vector<mcp::McpToolInfo> tools = (*host)->tools();
  std::sort(tools.begin(), tools.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const mcp::McpToolInfo& info : tools) {
    collector.Offer(info.name, [&](const std::string& name) { return mcp::NewMcpTool(*host, info, name); });
  }
  return collector.Finish();
}

PluginOutcome LoadManifest(const PluginSpec& spec, const mcp::LaunchSettings& launch, const std::string& where) {
  ToolCollector collector(spec, where);
  auto text = ReadSmallFile(spec.manifest);
  auto manifest = text.ok() ? mcp::ParseManifest(*text, spec.manifest, launch.repo_root)
                            : base::Result<std::vector<mcp::ManifestToolSpec>>(text.status());
  if (!manifest.ok()) {
    collector.Warn("not loaded: " + manifest.status().message());
    return collector.Finish();
  }
  std::sort(manifest->begin(), manifest->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const mcp::ManifestToolSpec& tool : *manifest) {
    collector.Offer(tool.name, [&](const std::string& name) { return mcp::NewManifestTool(spec, tool, launch, name); });
  }
  return collector.Finish();
}

}  // namespace

std::string DefaultUserPluginConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/longhaul/plugins.json";
  return mcp::CurrentHomeDir() + "/.config/longhaul/plugins.json";
}

base::Result<LoadedPlugins> LoadPlugins(const PluginOptions& options) {
  char real[PATH_MAX];
  struct stat st;
  if (options.repo_root.empty() || options.repo_root[0] != '/' || ::realpath(options.repo_root.c_str(), real) == nullptr ||
      ::stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return base::InvalidArgument("plugins: the repository root '" + options.repo_root + "' is not an existing directory");
  }
  mcp::LaunchSettings launch;
  launch.repo_root = real;
  launch.home_dir = mcp::CurrentHomeDir();
  launch.helper_binary = options.helper_binary;
  launch.allow_degraded_sandbox = options.allow_degraded_sandbox;
  launch.startup_timeout_seconds = options.startup_timeout_seconds;

  LoadedPlugins loaded;
  const std::string repo_file = launch.repo_root + "/.longhaul/plugins.json";
  mcp::PluginConfig repo = ReadConfig({repo_file, launch.repo_root, launch.repo_root}, &loaded.warnings);
  mcp::PluginConfig user;
  if (!options.user_config_path.empty()) {
    const std::string& path = options.user_config_path;
    const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    user = ReadConfig({path, dir, launch.repo_root}, &loaded.warnings);
  }
  mcp::PluginConfig config = mcp::MergePluginConfigs(std::move(repo), std::move(user));
  loaded.warnings.insert(loaded.warnings.end(), config.warnings.begin(), config.warnings.end());

  // Servers take a while to start (node: about a second); start them all
  // at once. Results are gathered in name order, so warnings are stable too.
  std::vector<std::future<PluginOutcome>> pending;
  for (const PluginSpec& spec : config.plugins) {
    const std::string where = "plugin \"" + spec.name + "\" (" + spec.origin + "): ";
    pending.push_back(std::async(std::launch::async, [&spec, &launch, where] {
      return spec.kind == mcp::PluginKind::kMcp ? LoadMcp(spec, launch, where) : LoadManifest(spec, launch, where);
    }));
  }
  for (auto& f : pending) {
    PluginOutcome outcome = f.get();
    for (auto& t : outcome.tools) loaded.tools.push_back(std::move(t));
    loaded.warnings.insert(loaded.warnings.end(), outcome.warnings.begin(), outcome.warnings.end());
  }
  std::sort(loaded.tools.begin(), loaded.tools.end(),
            [](const std::unique_ptr<Tool>& a, const std::unique_ptr<Tool>& b) { return a->name() < b->name(); });
  return loaded;
}

}  // namespace tools
