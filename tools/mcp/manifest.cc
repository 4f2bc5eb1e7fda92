#include "tools/mcp/manifest.h"

#include <exception>
#include <set>

#include "tools/mcp/content_text.h"
#include "tools/mcp/json_lines.h"

namespace tools::mcp {
namespace {

using nlohmann::json;

const std::set<std::string> kToolKeys = {"name", "description", "input_schema", "command", "read_only",
                                         "timeout_seconds"};

std::string Expand(std::string text, const std::string& plugin_dir, const std::string& repo_root) {
  for (const auto& [var, value] : {std::pair<std::string, std::string>{"${PLUGIN_DIR}", plugin_dir},
                                   std::pair<std::string, std::string>{"${REPO_ROOT}", repo_root}}) {
    for (size_t at = text.find(var); at != std::string::npos; at = text.find(var, at + value.size())) {
      text.replace(at, var.size(), value);
    }
  }
  return text;
}

base::Result<ManifestToolSpec> ReadTool(const json& t, const std::string& dir, const std::string& repo_root) {
  if (!t.is_object()) return base::InvalidArgument("each tool must be an object");
  for (const auto& [key, value] : t.items()) {
    if (!kToolKeys.count(key)) return base::InvalidArgument("unknown key \"" + key + "\"");
  }
  ManifestToolSpec spec;
  auto name = t.find("name");
  if (name == t.end() || !name->is_string() || name->get<std::string>().empty()) {
    return base::InvalidArgument("\"name\" must be a non-empty string");
  }
  spec.name = name->get<std::string>();
  auto description = t.find("description");
  if (description != t.end() && !description->is_string()) return base::InvalidArgument("\"description\" must be a string");
  if (description != t.end()) spec.description = description->get<std::string>();
  auto schema = t.find("input_schema");
  if (schema != t.end() && !schema->is_object()) return base::InvalidArgument("\"input_schema\" must be an object");
  spec.input_schema = schema != t.end() ? *schema : json{{"type", "object"}};
  auto command = t.find("command");
  if (command == t.end() || !command->is_array() || command->empty()) {
    return base::InvalidArgument("\"command\" must be a non-empty array of strings (the argv)");
  }
  for (const json& a : *command) {
    if (!a.is_string()) return base::InvalidArgument("\"command\" must be a non-empty array of strings (the argv)");
    spec.command.push_back(Expand(a.get<std::string>(), dir, repo_root));
  }
  if (spec.command[0].empty()) return base::InvalidArgument("command[0] is empty");
  if (spec.command[0][0] != '/' && spec.command[0].find('/') != std::string::npos) {
    spec.command[0] = dir + "/" + spec.command[0];
  }
  if (auto ro = t.find("read_only"); ro != t.end()) {
    if (!ro->is_boolean()) return base::InvalidArgument("\"read_only\" must be true or false");
    spec.read_only = ro->get<bool>();
  }
  if (auto secs = t.find("timeout_seconds"); secs != t.end()) {
    if (!secs->is_number() || !(secs->get<double>() > 0) || secs->get<double>() > 86400) {
      return base::InvalidArgument("\"timeout_seconds\" must be a number of seconds above 0 (at most 86400)");
    }
    spec.timeout_seconds = secs->get<double>();
  }
  return spec;
}

base::Result<std::vector<ManifestToolSpec>> Parse(std::string_view text, const std::string& path,
                                                  const std::string& repo_root) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return base::InvalidArgument(path + ": not valid JSON");
  if (!root.is_object() || !root.contains("tools") || !root["tools"].is_array()) {
    return base::InvalidArgument(path + ": expected {\"tools\": [{\"name\": ..., \"command\": [...]}, ...]}");
  }
  const std::string dir = path.substr(0, path.rfind('/'));
  std::vector<ManifestToolSpec> tools;
  std::set<std::string> names;
  for (const json& t : root["tools"]) {
    auto spec = ReadTool(t, dir, repo_root);
    std::string which = "tool " + std::to_string(tools.size() + 1);
    if (t.is_object() && t.contains("name") && t["name"].is_string()) which = "tool \"" + t["name"].get<std::string>() + "\"";
    if (!spec.ok()) return base::InvalidArgument(path + ": " + which + ": " + spec.status().message());
    if (!names.insert(spec->name).second) return base::InvalidArgument(path + ": " + which + " is listed twice");
    tools.push_back(std::move(*spec));
  }
  return tools;
}

}  // namespace

base::Result<std::vector<ManifestToolSpec>> ParseManifest(std::string_view text, const std::string& manifest_path,
                                                          const std::string& repo_root) {
  try {
    return Parse(text, manifest_path, repo_root);
  } catch (const std::exception& e) {
    return base::InvalidArgument(manifest_path + ": " + e.what());
  }
}

base::Result<ManifestOutput> ParseManifestOutput(std::string_view stdout_text) {
  const std::string expected = "expected one JSON object {\"content\": \"...\", \"is_error\": false} on stdout";
  json out = json::parse(stdout_text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    if (stdout_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return base::Corruption("the tool wrote nothing on stdout; " + expected);
    }
    std::string_view start = stdout_text.substr(stdout_text.find_first_not_of(" \t\r\n"));
    start = start.substr(0, start.find_last_not_of(" \t\r\n") + 1);
    return base::Corruption("the tool's output is not JSON (" + expected + "); it starts: \"" + Excerpt(start, 200) +
                            "\"");
  }
  auto content = out.is_object() ? out.find("content") : out.end();
  if (!out.is_object() || content == out.end() || !(content->is_string() || content->is_array())) {
    return base::Corruption("the tool's output lacks \"content\"; " + expected);
  }
  ManifestOutput result;
  if (auto e = out.find("is_error"); e != out.end()) {
    if (!e->is_boolean()) return base::Corruption("the tool's \"is_error\" must be true or false");
    result.is_error = e->get<bool>();
  }
  result.text = content->is_string() ? content->get<std::string>() : RenderCallResult(json{{"content", *content}});
  return result;
}

}  // namespace tools::mcp
