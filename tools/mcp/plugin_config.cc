#include "tools/mcp/plugin_config.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <set>

namespace tools::mcp {
namespace {

using nlohmann::json;

const std::set<std::string> kCommonKeys = {"enabled", "tools", "read_only_tools", "mutating_tools", "network",
                                          "timeout_seconds", "max_message_bytes", "env"};
const std::set<std::string> kMcpKeys = {"command", "args", "protocol", "startup_timeout_seconds"};
const std::set<std::string> kManifestKeys = {"manifest"};

bool ValidPluginName(const std::string& name) {
  if (name.empty() || name.size() > 32 || name.find("__") != std::string::npos) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

std::string Expand(std::string text, const ConfigSource& source) {
  for (const auto& [var, value] : {std::pair<std::string, std::string>{"${REPO_ROOT}", source.repo_root},
                                   std::pair<std::string, std::string>{"${CONFIG_DIR}", source.base_dir}}) {
    for (size_t at = text.find(var); at != std::string::npos; at = text.find(var, at + value.size())) {
      text.replace(at, var.size(), value);
    }
  }
  return text;
}

std::string Absolute(const std::string& path, const std::string& base_dir) {
  return path.empty() || path[0] == '/' ? path : base_dir + "/" + path;
}

// Reads one entry; the first problem ends it with a message naming the key.
class EntryReader {
 public:
  EntryReader(const json& entry, const ConfigSource& source) : entry_(entry), source_(source) {}

  base::Result<PluginSpec> Read(const std::string& name) {
    PluginSpec spec;
    spec.name = name;
    spec.origin = source_.origin;
    const bool has_command = entry_.contains("command"), has_manifest = entry_.contains("manifest");
    if (has_command == has_manifest) return base::InvalidArgument("needs exactly one of \"command\" and \"manifest\"");
    spec.kind = has_command ? PluginKind::kMcp : PluginKind::kManifest;
    for (const auto& [key, value] : entry_.items()) {
      const std::set<std::string>& own = spec.kind == PluginKind::kMcp ? kMcpKeys : kManifestKeys;
      if (!kCommonKeys.count(key) && !own.count(key)) {
        return base::InvalidArgument("unknown key \"" + key + "\"" +
                                     (kMcpKeys.count(key) || kManifestKeys.count(key) ? " for this kind of plugin" : ""));
      }
    }
    RETURN_IF_ERROR(Bool("enabled", &spec.enabled));
    RETURN_IF_ERROR(Bool("network", &spec.network));
    RETURN_IF_ERROR(Seconds("timeout_seconds", &spec.timeout_seconds));
    RETURN_IF_ERROR(Seconds("startup_timeout_seconds", &spec.startup_timeout_seconds));
    RETURN_IF_ERROR(StringList("read_only_tools", &spec.read_only_tools));
    RETURN_IF_ERROR(StringList("mutating_tools", &spec.mutating_tools));
    if (entry_.contains("tools")) {
      spec.tools.emplace();
      RETURN_IF_ERROR(StringList("tools", &*spec.tools));
    }
    if (auto it = entry_.find("max_message_bytes"); it != entry_.end()) {
      if (!it->is_number_unsigned() || it->get<uint64_t>() < 1024) {
        return base::InvalidArgument("\"max_message_bytes\" must be an integer of at least 1024");
      }
      spec.max_message_bytes = it->get<uint64_t>();
    }
    if (auto it = entry_.find("env"); it != entry_.end()) {
      if (!it->is_object()) return base::InvalidArgument("\"env\" must be an object of strings");
      for (const auto& [k, v] : it->items()) {
        if (k.empty() || k.find('=') != std::string::npos || !v.is_string()) {
          return base::InvalidArgument("\"env\" must map variable names to strings (bad entry \"" + k + "\")");
        }
        spec.env[k] = Expand(v.get<std::string>(), source_);
      }
    }
    return spec.kind == PluginKind::kMcp ? ReadMcp(std::move(spec)) : ReadManifest(std::move(spec));
  }

 private:
  base::Result<PluginSpec> ReadMcp(PluginSpec spec) {
    const json& command = entry_["command"];
    if (!command.is_string() || command.get<std::string>().empty()) {
      return base::InvalidArgument("\"command\" must be a non-empty string (arguments go in \"args\")");
    }
    spec.command = Expand(command.get<std::string>(), source_);
    if (spec.command.find('/') != std::string::npos) spec.command = Absolute(spec.command, source_.base_dir);
    RETURN_IF_ERROR(StringList("args", &spec.args));
    for (std::string& a : spec.args) a = Expand(a, source_);
    if (auto it = entry_.find("protocol"); it != entry_.end()) {
      if (*it == "auto") {
        spec.protocol = ProtocolChoice::kAuto;
      } else if (*it == kLegacyProtocol) {
        spec.protocol = ProtocolChoice::kLegacy;
      } else if (*it == kStatelessProtocol) {
        spec.protocol = ProtocolChoice::kStateless;
      } else {
        return base::InvalidArgument(std::string("\"protocol\" must be \"auto\", \"") + kLegacyProtocol + "\" or \"" +
                                     kStatelessProtocol + "\"");
      }
    }
    return spec;
  }

  base::Result<PluginSpec> ReadManifest(PluginSpec spec) {
    const json& manifest = entry_["manifest"];
    if (!manifest.is_string() || manifest.get<std::string>().empty()) {
      return base::InvalidArgument("\"manifest\" must be a path");
    }
    spec.manifest = Absolute(Expand(manifest.get<std::string>(), source_), source_.base_dir);
    return spec;
  }

  base::Status Bool(const char* key, bool* out) {
    auto it = entry_.find(key);
    if (it == entry_.end()) return base::Status::Ok();
    if (!it->is_boolean()) return base::InvalidArgument(std::string("\"") + key + "\" must be true or false");
    *out = it->get<bool>();
    return base::Status::Ok();
  }

  base::Status Seconds(const char* key, double* out) {
    auto it = entry_.find(key);
    if (it == entry_.end()) return base::Status::Ok();
    if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > 86400) {
      return base::InvalidArgument(std::string("\"") + key + "\" must be a number of seconds above 0 (at most 86400)");
    }
    *out = it->get<double>();
    return base::Status::Ok();
  }

  base::Status StringList(const char* key, std::vector<std::string>* out) {
    auto it = entry_.find(key);
    if (it == entry_.end()) return base::Status::Ok();
    if (!it->is_array()) return base::InvalidArgument(std::string("\"") + key + "\" must be an array of strings");
    for (const json& v : *it) {
      if (!v.is_string()) return base::InvalidArgument(std::string("\"") + key + "\" must be an array of strings");
      out->push_back(v.get<std::string>());
    }
    return base::Status::Ok();
  }

  const json& entry_;
  const ConfigSource& source_;
};

// nlohmann's "[json.exception.parse_error.101] parse error at line 3, ..."
// without the bracketed id.
std::string ParseMessage(const std::exception& e) {
  std::string what = e.what();
  size_t close = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

base::Result<PluginConfig> Parse(std::string_view text, const ConfigSource& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return base::InvalidArgument(source.origin + ": not valid JSON: " + ParseMessage(e));
  }
  if (!root.is_object() || !root.contains("plugins") || !root["plugins"].is_object()) {
    return base::InvalidArgument(source.origin + ": expected {\"plugins\": {\"NAME\": {...}, ...}}");
  }
  for (const auto& [key, value] : root.items()) {
    if (key != "plugins") return base::InvalidArgument(source.origin + ": unknown top-level key \"" + key + "\"");
  }
  PluginConfig config;
  for (const auto& [name, entry] : root["plugins"].items()) {
    const std::string where = source.origin + ": plugin \"" + name + "\": ";
    if (!ValidPluginName(name)) {
      config.warnings.push_back(where + "the name must be 1-32 letters, digits, '_' or '-', start with a letter or "
                                        "digit, and not contain \"__\"; left out");
      continue;
    }
    if (!entry.is_object()) {
      config.warnings.push_back(where + "must be an object; left out");
      continue;
    }
    auto spec = EntryReader(entry, source).Read(name);
    if (!spec.ok()) {
      config.warnings.push_back(where + spec.status().message() + "; left out");
      continue;
    }
    config.plugins.push_back(std::move(*spec));
  }
  return config;  // items() of an object is already sorted by name
}

bool Lists(const std::vector<std::string>& list, const std::string& tool) {
  return std::find(list.begin(), list.end(), tool) != list.end();
}

}  // namespace

base::Result<PluginConfig> ParsePluginConfig(std::string_view text, const ConfigSource& source) {
  try {
    return Parse(text, source);
  } catch (const std::exception& e) {
    // The checks above should leave nothing to throw; if something does,
    // the file is still the one to blame.
    return base::InvalidArgument(source.origin + ": " + e.what());
  }
}

PluginConfig MergePluginConfigs(PluginConfig repo, PluginConfig user) {
  PluginConfig merged;
  std::map<std::string, PluginSpec> by_name;
  for (PluginSpec& p : repo.plugins) by_name[p.name] = std::move(p);
  for (PluginSpec& p : user.plugins) by_name[p.name] = std::move(p);
  for (auto& [name, spec] : by_name) {
    if (spec.enabled) merged.plugins.push_back(std::move(spec));
  }
  merged.warnings = std::move(repo.warnings);
  merged.warnings.insert(merged.warnings.end(), user.warnings.begin(), user.warnings.end());
  return merged;
}

bool IsMutating(const PluginSpec& spec, const std::string& tool, std::optional<bool> read_only_hint) {
  // A tool named outright beats "*".
  if (Lists(spec.mutating_tools, tool)) return true;
  if (Lists(spec.read_only_tools, tool)) return false;
  if (Lists(spec.mutating_tools, "*")) return true;
  if (Lists(spec.read_only_tools, "*")) return false;
  return !read_only_hint.value_or(false);
}

}  // namespace tools::mcp
