// Plugins against real MCP servers from npm, installed by
// scripts/fetch-npm-peers.sh (tests/peers/mcp/ pins them). Skipped, loudly,
// where node or the peers are missing.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/tools/mcp/mcp_testing.h"

using mcp_testing::Call;
using mcp_testing::Has;

namespace {

tools::LoadedPlugins Load(const mcp_testing::PluginRepo& repo) {
  auto loaded = tools::LoadPlugins(mcp_testing::Options(repo));
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  INFO(mcp_testing::Warnings(*loaded));
  CHECK(loaded->warnings.empty());
  return std::move(*loaded);
}

}  // namespace

TEST_CASE("npm server-everything: lists its tools and answers calls", "[tools][mcp][npm]") {
  REQUIRE_NPM_PEER(everything, "server-everything");
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"everything", {{"command", "node"}, {"args", {everything, "stdio"}}}}});
  auto loaded = Load(repo);
  const std::vector<std::string> names = mcp_testing::Names(loaded);
  INFO(::Catch::Detail::stringify(names));
  REQUIRE(names.size() >= 10);
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const char* expected : {"everything__echo", "everything__get-sum", "everything__get-tiny-image",
                               "everything__get-resource-links", "everything__get-structured-content"}) {
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
  const tools::Tool* echo = mcp_testing::Find(loaded, "everything__echo");
  REQUIRE(echo != nullptr);
  CHECK(echo->description() == "[plugin everything] Echoes back the input string");
  CHECK(echo->parameters_schema()["properties"]["message"]["type"] == "string");
  CHECK_FALSE(echo->is_mutating());  // annotations.readOnlyHint
  const tools::Tool* toggle = mcp_testing::Find(loaded, "everything__toggle-simulated-logging");
  REQUIRE(toggle != nullptr);
  CHECK(toggle->is_mutating());  // readOnlyHint false

  const tools::ToolContext context = mcp_testing::Context(repo);
  auto echoed = Call(loaded, "everything__echo", {{"message", "hello from longhaul"}}, context);
  CHECK_FALSE(echoed.is_error);
  CHECK(echoed.text == "Echo: hello from longhaul");
  CHECK(echoed.details["protocol"] == "2025-11-25");  // it answered the probe with -32601

  auto sum = Call(loaded, "everything__get-sum", {{"a", 2}, {"b", 3.5}}, context);
  CHECK_FALSE(sum.is_error);
  CHECK(sum.text == "The sum of 2 and 3.5 is 5.5.");

  // The server validates arguments and answers with isError.
  auto bad = Call(loaded, "everything__get-sum", {{"a", "two"}}, context);
  CHECK(bad.is_error);
  CHECK(Has(bad.text, "Input validation error"));

  auto image = Call(loaded, "everything__get-tiny-image", nlohmann::json::object(), context);
  CHECK_FALSE(image.is_error);
  CHECK(Has(image.text, "[image image/png, about "));

  auto links = Call(loaded, "everything__get-resource-links", {{"count", 2}}, context);
  CHECK_FALSE(links.is_error);
  CHECK(Has(links.text, "[resource link: "));

  auto weather = Call(loaded, "everything__get-structured-content", {{"location", "Chicago"}}, context);
  CHECK_FALSE(weather.is_error);
  CHECK(Has(weather.text, "temperature"));

  // The server is still in step after all of that.
  auto again = Call(loaded, "everything__echo", {{"message", "still here"}}, context);
  CHECK(again.text == "Echo: still here");
}

TEST_CASE("npm server-filesystem: confined to one directory of the repository", "[tools][mcp][npm]") {
  REQUIRE_NPM_PEER(filesystem, "server-filesystem");
  auto repo = mcp_testing::MakePluginRepo();
  const std::string allowed = repo.root + "/shared";
  std::filesystem::create_directories(allowed);
  repo.Write("shared/hello.txt", "hello, plugin\n");
  repo.Write("private.txt", "not for the plugin\n");
  repo.Configure({{"fs", {{"command", "node"}, {"args", {filesystem, allowed}}, {"tools", {
      "list_allowed_directories", "list_directory", "read_text_file", "write_file"}}}}});
  auto loaded = Load(repo);
  CHECK(mcp_testing::Names(loaded) == std::vector<std::string>{"fs__list_allowed_directories", "fs__list_directory",
                                                                "fs__read_text_file", "fs__write_file"});
  CHECK(mcp_testing::Find(loaded, "fs__write_file")->is_mutating());
  CHECK_FALSE(mcp_testing::Find(loaded, "fs__read_text_file")->is_mutating());
  const tools::ToolContext context = mcp_testing::Context(repo);

  auto dirs = Call(loaded, "fs__list_allowed_directories", nlohmann::json::object(), context);
  CHECK_FALSE(dirs.is_error);
  CHECK(Has(dirs.text, allowed));

  auto read = Call(loaded, "fs__read_text_file", {{"path", allowed + "/hello.txt"}}, context);
  CHECK_FALSE(read.is_error);
  CHECK(read.text == "hello, plugin\n");

  auto write = Call(loaded, "fs__write_file", {{"path", allowed + "/new.txt"}, {"content", "written"}}, context);
  CHECK_FALSE(write.is_error);
  CHECK(repo.Read("shared/new.txt") == "written");

  auto list = Call(loaded, "fs__list_directory", {{"path", allowed}}, context);
  CHECK_FALSE(list.is_error);
  CHECK(Has(list.text, "[FILE] hello.txt"));
  CHECK(Has(list.text, "[FILE] new.txt"));

  // Outside its directory the server itself refuses...
  auto outside = Call(loaded, "fs__read_text_file", {{"path", repo.root + "/private.txt"}}, context);
  CHECK(outside.is_error);
  CHECK(Has(outside.text, "Access denied"));
  auto escape = Call(loaded, "fs__write_file", {{"path", allowed + "/../escaped.txt"}, {"content", "x"}}, context);
  CHECK(escape.is_error);
  CHECK_FALSE(repo.Exists("escaped.txt"));
  auto etc = Call(loaded, "fs__read_text_file", {{"path", "/etc/hostname"}}, context);
  CHECK(etc.is_error);
}

TEST_CASE("npm server-filesystem: the sandbox holds where the server's own checks would not",
          "[tools][mcp][npm]") {
  REQUIRE_NPM_PEER(filesystem, "server-filesystem");
  auto repo = mcp_testing::MakePluginRepo();
  // Allowing "/" makes the server's own checks pass everything; the
  // sandbox still keeps writes inside the repository.
  repo.Configure({{"fs", {{"command", "node"}, {"args", {filesystem, "/"}}, {"tools", {"write_file"}}}}});
  auto loaded = Load(repo);
  const tools::ToolContext context = mcp_testing::Context(repo);
  auto inside = Call(loaded, "fs__write_file", {{"path", repo.root + "/ok.txt"}, {"content", "in"}}, context);
  CHECK_FALSE(inside.is_error);
  CHECK(repo.Read("ok.txt") == "in");
  // The source tree: outside the repository and not under the sandbox's
  // private /tmp, so read-only inside.
  const std::string outside = std::string(LONGHAUL_SOURCE_DIR) + "/plugin-escape-attempt.txt";
  auto escaped = Call(loaded, "fs__write_file", {{"path", outside}, {"content", "out"}}, context);
  CHECK(escaped.is_error);
  CHECK_FALSE(std::filesystem::exists(outside));
  std::error_code ec;
  std::filesystem::remove(outside, ec);
}
