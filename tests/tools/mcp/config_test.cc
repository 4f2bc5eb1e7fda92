// plugins.json and manifest parsing, and how results become text: pure
// functions, no processes.
#include <catch2/catch.hpp>

#include "tests/tools/mcp/mcp_testing.h"
#include "tools/mcp/content_text.h"
#include "tools/mcp/manifest.h"
#include "tools/mcp/plugin_config.h"

namespace {

using mcp_testing::Has;
using tools::mcp::ConfigSource;
using tools::mcp::ParsePluginConfig;
using tools::mcp::PluginConfig;

const ConfigSource kSource = {"/repo/.longhaul/plugins.json", "/repo", "/repo"};

PluginConfig Parse(const std::string& text) {
  auto parsed = ParsePluginConfig(text, kSource);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  return *parsed;
}

std::string OneWarning(const std::string& entry) {
  PluginConfig c = Parse("{\"plugins\": {\"p\": " + entry + "}}");
  CHECK(c.plugins.empty());
  REQUIRE(c.warnings.size() == 1);
  return c.warnings[0];
}

}  // namespace

TEST_CASE("plugin config: a full MCP entry", "[tools][mcp][config]") {
  PluginConfig c = Parse(R"({"plugins": {"everything": {
      "command": "bin/server", "args": ["${REPO_ROOT}/x", "--flag"], "env": {"A": "${CONFIG_DIR}/a"},
      "tools": ["echo"], "read_only_tools": ["echo"], "mutating_tools": ["*"], "network": true,
      "timeout_seconds": 5, "startup_timeout_seconds": 7, "max_message_bytes": 2048,
      "protocol": "2025-11-25"}}})");
  REQUIRE(c.warnings.empty());
  REQUIRE(c.plugins.size() == 1);
  const tools::mcp::PluginSpec& p = c.plugins[0];
  CHECK(p.name == "everything");
  CHECK(p.origin == kSource.origin);
  CHECK(p.kind == tools::mcp::PluginKind::kMcp);
  CHECK(p.command == "/repo/bin/server");  // relative with a slash: against the base directory
  CHECK(p.args == std::vector<std::string>{"/repo/x", "--flag"});
  CHECK(p.env.at("A") == "/repo/a");
  REQUIRE(p.tools.has_value());
  CHECK(*p.tools == std::vector<std::string>{"echo"});
  CHECK(p.network);
  CHECK(p.timeout_seconds == 5);
  CHECK(p.startup_timeout_seconds == 7);
  CHECK(p.max_message_bytes == 2048);
  CHECK(p.protocol == tools::mcp::ProtocolChoice::kLegacy);
}

TEST_CASE("plugin config: defaults, bare commands and manifests", "[tools][mcp][config]") {
  PluginConfig c = Parse(R"({"plugins": {"b": {"command": "node"}, "a": {"manifest": "m/manifest.json"}}})");
  REQUIRE(c.plugins.size() == 2);
  CHECK(c.plugins[0].name == "a");  // sorted by name
  CHECK(c.plugins[0].kind == tools::mcp::PluginKind::kManifest);
  CHECK(c.plugins[0].manifest == "/repo/m/manifest.json");
  const tools::mcp::PluginSpec& b = c.plugins[1];
  CHECK(b.command == "node");  // looked up in PATH inside the sandbox
  CHECK_FALSE(b.network);
  CHECK_FALSE(b.tools.has_value());
  CHECK(b.timeout_seconds == 60);
  CHECK(b.protocol == tools::mcp::ProtocolChoice::kAuto);
}

TEST_CASE("plugin config: file-level errors name the file and the place", "[tools][mcp][config]") {
  auto bad_json = ParsePluginConfig("{\"plugins\": {\n  \"a\": {,}\n}}", kSource);
  REQUIRE_FALSE(bad_json.ok());
  CHECK(bad_json.status().code() == base::StatusCode::kInvalidArgument);
  CHECK_THAT(bad_json.status().message(), Catch::StartsWith("/repo/.longhaul/plugins.json: not valid JSON: "));
  CHECK_THAT(bad_json.status().message(), Catch::Contains("line 2"));
  CHECK_FALSE(Has(bad_json.status().message(), "[json.exception"));

  for (const char* text : {"[]", "{}", "{\"plugins\": []}", "{\"plugin\": {}}"}) {
    auto r = ParsePluginConfig(text, kSource);
    INFO(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("expected {\"plugins\"") || Catch::Contains("unknown top-level"));
  }
  auto extra = ParsePluginConfig(R"({"plugins": {}, "version": 2})", kSource);
  REQUIRE_FALSE(extra.ok());
  CHECK_THAT(extra.status().message(), Catch::Contains("unknown top-level key \"version\""));
}

TEST_CASE("plugin config: a bad entry is a warning, the others load", "[tools][mcp][config]") {
  PluginConfig c = Parse(R"({"plugins": {"good": {"command": "x"}, "bad": {"command": "x", "netwrok": true}}})");
  REQUIRE(c.plugins.size() == 1);
  CHECK(c.plugins[0].name == "good");
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0] == "/repo/.longhaul/plugins.json: plugin \"bad\": unknown key \"netwrok\"; left out");

  CHECK(Has(OneWarning(R"({"command": "x", "manifest": "y"})"), "needs exactly one of \"command\" and \"manifest\""));
  CHECK(Has(OneWarning(R"({"args": ["x"]})"), "needs exactly one of"));
  CHECK(Has(OneWarning(R"({"command": ""})"), "\"command\" must be a non-empty string"));
  CHECK(Has(OneWarning(R"({"command": ["node", "x"]})"), "arguments go in \"args\""));
  CHECK(Has(OneWarning(R"({"command": "x", "args": "y"})"), "\"args\" must be an array of strings"));
  CHECK(Has(OneWarning(R"({"command": "x", "args": [1]})"), "\"args\" must be an array of strings"));
  CHECK(Has(OneWarning(R"({"command": "x", "env": {"A": 1}})"), "\"env\" must map variable names to strings"));
  CHECK(Has(OneWarning(R"({"command": "x", "network": "yes"})"), "\"network\" must be true or false"));
  CHECK(Has(OneWarning(R"({"command": "x", "timeout_seconds": 0})"), "\"timeout_seconds\" must be a number"));
  CHECK(Has(OneWarning(R"({"command": "x", "timeout_seconds": "5"})"), "\"timeout_seconds\" must be a number"));
  CHECK(Has(OneWarning(R"({"command": "x", "max_message_bytes": 10})"), "at least 1024"));
  CHECK(Has(OneWarning(R"({"command": "x", "protocol": "2024-01-01"})"), "\"protocol\" must be \"auto\""));
  CHECK(Has(OneWarning(R"({"manifest": "m", "args": []})"), "unknown key \"args\" for this kind of plugin"));
  CHECK(Has(OneWarning("\"node\""), "must be an object"));

  PluginConfig names = Parse(R"({"plugins": {"a__b": {"command": "x"}, "-x": {"command": "x"}, "ok-1_2": {"command": "x"}}})");
  REQUIRE(names.plugins.size() == 1);
  CHECK(names.plugins[0].name == "ok-1_2");
  REQUIRE(names.warnings.size() == 2);
  CHECK(Has(names.warnings[0], "not contain \"__\""));
}

TEST_CASE("plugin config: the user's entry wins, and can turn one off", "[tools][mcp][config]") {
  PluginConfig repo = Parse(R"({"plugins": {"a": {"command": "repo-a"}, "b": {"command": "repo-b"},
                                           "c": {"command": "repo-c"}}})");
  auto user = ParsePluginConfig(R"({"plugins": {"a": {"command": "user-a"}, "b": {"command": "x", "enabled": false},
                                               "d": {"command": "user-d"}}})",
                                {"/home/u/.config/longhaul/plugins.json", "/home/u/.config/longhaul", "/repo"});
  REQUIRE(user.ok());
  PluginConfig merged = tools::mcp::MergePluginConfigs(repo, *user);
  std::vector<std::string> got;
  for (const auto& p : merged.plugins) got.push_back(p.name + "=" + p.command);
  CHECK(got == std::vector<std::string>{"a=user-a", "c=repo-c", "d=user-d"});
}

TEST_CASE("plugin config: is_mutating, config over the server's hint", "[tools][mcp][config]") {
  tools::mcp::PluginSpec spec;
  using tools::mcp::IsMutating;
  CHECK(IsMutating(spec, "t", std::nullopt));  // unknown: assume it changes things
  CHECK_FALSE(IsMutating(spec, "t", true));
  CHECK(IsMutating(spec, "t", false));
  spec.read_only_tools = {"t"};
  CHECK_FALSE(IsMutating(spec, "t", false));
  spec.mutating_tools = {"t"};
  CHECK(IsMutating(spec, "t", true));
  spec = {};
  spec.read_only_tools = {"*"};
  spec.mutating_tools = {"w"};
  CHECK_FALSE(IsMutating(spec, "t", std::nullopt));
  CHECK(IsMutating(spec, "w", true));
  spec = {};
  spec.mutating_tools = {"*"};
  spec.read_only_tools = {"r"};
  CHECK(IsMutating(spec, "t", true));
  CHECK_FALSE(IsMutating(spec, "r", std::nullopt));
}

TEST_CASE("manifest: parsing and its errors", "[tools][mcp][manifest]") {
  auto ok = tools::mcp::ParseManifest(R"({"tools": [
      {"name": "a", "description": "d", "command": ["./run.sh", "${PLUGIN_DIR}/x", "${REPO_ROOT}"],
       "read_only": true, "timeout_seconds": 3},
      {"name": "b", "command": ["python3"], "input_schema": {"type": "object", "properties": {}}}]})",
                                      "/p/m/manifest.json", "/repo");
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 2);
  CHECK((*ok)[0].command == std::vector<std::string>{"/p/m/./run.sh", "/p/m/x", "/repo"});
  CHECK((*ok)[0].read_only == std::optional<bool>(true));
  CHECK((*ok)[0].timeout_seconds == 3);
  CHECK((*ok)[1].command == std::vector<std::string>{"python3"});
  CHECK((*ok)[1].input_schema["type"] == "object");
  CHECK_FALSE((*ok)[1].read_only.has_value());

  auto Error = [](const std::string& text) {
    auto r = tools::mcp::ParseManifest(text, "/p/manifest.json", "/repo");
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(Error("nope") == "/p/manifest.json: not valid JSON");
  CHECK(Has(Error("{\"tool\": []}"), "expected {\"tools\": ["));
  CHECK(Error(R"({"tools": [{"name": "a"}]})") ==
        "/p/manifest.json: tool \"a\": \"command\" must be a non-empty array of strings (the argv)");
  CHECK(Error(R"({"tools": [{"name": "a", "command": "x y"}]})") ==
        "/p/manifest.json: tool \"a\": \"command\" must be a non-empty array of strings (the argv)");
  CHECK(Error(R"({"tools": [{"command": ["x"]}]})") == "/p/manifest.json: tool 1: \"name\" must be a non-empty string");
  CHECK(Has(Error(R"({"tools": [{"name": "a", "command": ["x"], "shell": true}]})"), "unknown key \"shell\""));
  CHECK(Has(Error(R"({"tools": [{"name": "a", "command": ["x"]}, {"name": "a", "command": ["y"]}]})"),
            "tool \"a\" is listed twice"));
  CHECK(Has(Error(R"({"tools": [{"name": "a", "command": ["x"], "input_schema": []}]})"), "must be an object"));
}

TEST_CASE("manifest: reading a tool's output", "[tools][mcp][manifest]") {
  using tools::mcp::ParseManifestOutput;
  auto ok = ParseManifestOutput("{\"content\": \"hi\"}\n");
  REQUIRE(ok.ok());
  CHECK_FALSE(ok->is_error);
  CHECK(ok->text == "hi");
  auto error = ParseManifestOutput(R"({"content": "bad", "is_error": true})");
  REQUIRE(error.ok());
  CHECK(error->is_error);
  auto items = ParseManifestOutput(R"({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]})");
  REQUIRE(items.ok());
  CHECK(items->text == "a\nb");
  CHECK(ParseManifestOutput("").status().message() ==
        "the tool wrote nothing on stdout; expected one JSON object {\"content\": \"...\", \"is_error\": false} on stdout");
  CHECK(Has(ParseManifestOutput("42 is the answer").status().message(), "it starts: \"42 is the answer\""));
  CHECK(Has(ParseManifestOutput("{\"text\": \"x\"}").status().message(), "lacks \"content\""));
  CHECK(Has(ParseManifestOutput("{\"content\": \"x\", \"is_error\": 1}").status().message(), "must be true or false"));
}

TEST_CASE("call results: content becomes text for the model", "[tools][mcp][content]") {
  using tools::mcp::RenderCallResult;
  nlohmann::json r = nlohmann::json::parse(R"({"content": [
      {"type": "text", "text": "line one"},
      {"type": "image", "mimeType": "image/png", "data": "AAAAAAAA"},
      {"type": "resource_link", "uri": "file:///a.txt", "name": "a.txt", "description": "the file"},
      {"type": "resource", "resource": {"uri": "mem://x", "text": "embedded"}},
      {"type": "resource", "resource": {"uri": "mem://y", "mimeType": "application/zip", "blob": "AAAA"}},
      {"type": "hologram"},
      7]})");
  CHECK(RenderCallResult(r) ==
        "line one\n"
        "[image image/png, about 6 bytes; not shown]\n"
        "[resource link: a.txt <file:///a.txt>] the file\n"
        "[resource <mem://x>]\nembedded\n"
        "[resource <mem://y>] [blob application/zip, about 3 bytes; not shown]\n"
        "[content of type \"hologram\" not shown]\n"
        "[malformed content item: 7]");
  CHECK(RenderCallResult({{"content", nlohmann::json::array()}, {"structuredContent", {{"t", 21}}}}) ==
        "{\n  \"t\": 21\n}");
  CHECK(RenderCallResult(nlohmann::json::object()) == "(no output)");
}
