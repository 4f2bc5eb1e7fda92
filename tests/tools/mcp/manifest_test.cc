// Manifest plugins: executables run once per call in the sandbox, with the
// arguments on stdin and one JSON result on stdout.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/tools/mcp/mcp_testing.h"

using mcp_testing::Call;
using mcp_testing::Has;

namespace {

tools::LoadedPlugins LoadPeerManifest(const mcp_testing::PluginRepo& repo) {
  repo.Configure({{"m", {{"manifest", mcp_testing::Peer("manifest/manifest.json")}, {"max_message_bytes", 65536}}}});
  auto loaded = tools::LoadPlugins(mcp_testing::Options(repo));
  REQUIRE(loaded.ok());
  INFO(mcp_testing::Warnings(*loaded));
  CHECK(loaded->warnings.empty());
  return std::move(*loaded);
}

}  // namespace

TEST_CASE("manifest plugin: tools, names, schemas and a round trip", "[tools][mcp][manifest]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  auto loaded = LoadPeerManifest(repo);
  CHECK(mcp_testing::Names(loaded) ==
        std::vector<std::string>{"m__exit_nonzero", "m__flood", "m__mcp_content", "m__missing", "m__not_json",
                                 "m__ok", "m__slow", "m__tool_error"});
  const tools::Tool* ok = mcp_testing::Find(loaded, "m__ok");
  CHECK_FALSE(ok->is_mutating());
  CHECK(mcp_testing::Find(loaded, "m__flood")->is_mutating());
  CHECK(ok->description() == "[plugin m] Echoes its arguments.");
  CHECK(ok->parameters_schema()["properties"]["name"]["type"] == "string");
  CHECK(mcp_testing::Find(loaded, "m__flood")->parameters_schema() == nlohmann::json{{"type", "object"}});

  const tools::ToolContext context = mcp_testing::Context(repo);
  auto r = Call(loaded, "m__ok", {{"name", "ünïcode"}, {"n", 3}}, context);
  CHECK_FALSE(r.is_error);
  CHECK(r.text == "got {\"n\": 3, \"name\": \"\\u00fcn\\u00efcode\"}");
  CHECK(r.details["plugin"] == "m");
  CHECK(r.details["tool"] == "ok");
  auto empty = Call(loaded, "m__ok", nlohmann::json(), context);
  CHECK(empty.text == "got {}");

  auto items = Call(loaded, "m__mcp_content", nlohmann::json::object(), context);
  CHECK(items.text == "first\nsecond");
  auto tool_error = Call(loaded, "m__tool_error", {{"name", "x"}}, context);
  CHECK(tool_error.is_error);
  CHECK(tool_error.text == "no such thing: x");
}

TEST_CASE("manifest plugin: each way a tool can fail is a clear tool error", "[tools][mcp][manifest]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  auto loaded = LoadPeerManifest(repo);
  const tools::ToolContext context = mcp_testing::Context(repo);

  auto start = std::chrono::steady_clock::now();
  auto slow = Call(loaded, "m__slow", nlohmann::json::object(), context);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
  CHECK(slow.is_error);
  CHECK(slow.text == "plugin \"m\": the tool did not finish within 1 s and was killed; its stderr ends with:\nstarted");

  auto not_json = Call(loaded, "m__not_json", nlohmann::json::object(), context);
  CHECK(not_json.is_error);
  CHECK(not_json.text ==
        "plugin \"m\": the tool's output is not JSON (expected one JSON object {\"content\": \"...\", \"is_error\": "
        "false} on stdout); it starts: \"Here is your answer: 42\"");

  auto exit = Call(loaded, "m__exit_nonzero", nlohmann::json::object(), context);
  CHECK(exit.is_error);
  CHECK(exit.text == "plugin \"m\": the tool exited with code 2; its stderr ends with:\nsomething broke");

  auto flood = Call(loaded, "m__flood", nlohmann::json::object(), context);
  CHECK(flood.is_error);
  CHECK_THAT(flood.text, Catch::StartsWith("plugin \"m\": the tool wrote 300"));
  CHECK(Has(flood.text, "bytes on stdout, over the limit of 65536"));

  auto missing = Call(loaded, "m__missing", nlohmann::json::object(), context);
  CHECK(missing.is_error);
  CHECK(Has(missing.text, "the tool exited with code 127"));
  CHECK(Has(missing.text, "command not found"));

  auto not_object = Call(loaded, "m__ok", "just a string", context);
  CHECK(not_object.is_error);
  CHECK(not_object.text == "the arguments must be a JSON object");
}

TEST_CASE("manifest plugin: a bad manifest is a warning naming it", "[tools][mcp][manifest]") {
  auto repo = mcp_testing::MakePluginRepo();
  repo.Write("plugins/bad.json", R"({"tools": [{"name": "a", "command": "echo hi"}]})");
  repo.Configure({{"bad", {{"manifest", "plugins/bad.json"}}}, {"absent", {{"manifest", "plugins/none.json"}}}});
  auto loaded = tools::LoadPlugins(mcp_testing::Options(repo));
  REQUIRE(loaded.ok());
  CHECK(loaded->tools.empty());
  const std::string warnings = mcp_testing::Warnings(*loaded);
  CHECK(Has(warnings, "plugin \"bad\" (" + repo.root + "/.longhaul/plugins.json): not loaded: " + repo.root +
                          "/plugins/bad.json: tool \"a\": \"command\" must be a non-empty array of strings (the argv)"));
  CHECK(Has(warnings, "plugin \"absent\" (" + repo.root + "/.longhaul/plugins.json): not loaded: " + repo.root +
                          "/plugins/none.json: cannot be read"));
}

TEST_CASE("manifest plugin: the example, configured from the user's file", "[tools][mcp][examples]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Write("README.md", "the cat sat on the mat with the other cat\n");
  // The repository declares the plugin with a broken path; the user's
  // entry of the same name wins.
  repo.Configure({{"words", {{"manifest", "nowhere/manifest.json"}}}});
  // The copy inside the repository: only that one the sandbox shows.
  const std::string manifest = mcp_testing::Example("word-stats/manifest.json");
  auto user_dir = mcp_testing::MakePluginRepo();
  user_dir.Write("plugins.json", nlohmann::json{{"plugins", {{"words", {{"manifest", manifest}}}}}}.dump());
  tools::PluginOptions options = mcp_testing::Options(repo);
  options.user_config_path = user_dir.root + "/plugins.json";
  auto loaded = tools::LoadPlugins(options);
  REQUIRE(loaded.ok());
  INFO(mcp_testing::Warnings(*loaded));
  CHECK(loaded->warnings.empty());
  REQUIRE(mcp_testing::Names(*loaded) == std::vector<std::string>{"words__top_words"});
  CHECK_FALSE(mcp_testing::Find(*loaded, "words__top_words")->is_mutating());
  const tools::ToolContext context = mcp_testing::Context(repo);
  auto r = Call(*loaded, "words__top_words", {{"path", "README.md"}, {"count", 2}}, context);
  CHECK_FALSE(r.is_error);
  CHECK(r.text == "README.md: 10 words, 7 distinct\n     3  the\n     2  cat");
  auto missing = Call(*loaded, "words__top_words", {{"path", "nope.txt"}}, context);
  CHECK(missing.is_error);
  CHECK(missing.text == "cannot read nope.txt: No such file or directory");
}

TEST_CASE("plugins: network only when the config says so", "[tools][mcp][manifest]") {
  REQUIRE_PYTHON();
  // A listener on the host's loopback; the sandbox's own loopback (a new
  // network namespace) cannot reach it.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);

  auto repo = mcp_testing::MakePluginRepo();
  const std::string manifest = mcp_testing::Peer("manifest/net.json");
  repo.Configure({{"closed", {{"manifest", manifest}}}, {"open", {{"manifest", manifest}, {"network", true}}}});
  tools::PluginOptions options = mcp_testing::Options(repo);
  if (options.allow_degraded_sandbox) {
    ::close(listener);
    WARN("SKIPPED: the sandbox runs degraded here, so it may not isolate the network");
    return;
  }
  auto loaded = tools::LoadPlugins(options);
  REQUIRE(loaded.ok());
  const tools::ToolContext context = mcp_testing::Context(repo);
  auto closed = Call(*loaded, "closed__probe", {{"port", port}}, context);
  CHECK_THAT(closed.text, Catch::StartsWith("no connection: "));
  auto open = Call(*loaded, "open__probe", {{"port", port}}, context);
  CHECK(open.text == "connected");
  ::close(listener);
}
