// Plugins against small Python MCP servers that each misbehave in one way
// (tests/tools/mcp/peers/), and the example server (examples/plugins/).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/tools/mcp/mcp_testing.h"

using mcp_testing::Call;
using mcp_testing::Has;
using mcp_testing::PythonPeer;
using Clock = std::chrono::steady_clock;

namespace {

tools::LoadedPlugins Load(const mcp_testing::PluginRepo& repo) {
  auto loaded = tools::LoadPlugins(mcp_testing::Options(repo));
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  return std::move(*loaded);
}

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

TEST_CASE("plugins: no config, no plugins", "[tools][mcp]") {
  auto repo = mcp_testing::MakePluginRepo();
  auto loaded = Load(repo);
  CHECK(loaded.tools.empty());
  CHECK(loaded.warnings.empty());
  tools::PluginOptions bad = mcp_testing::Options(repo);
  bad.repo_root = repo.root + "/missing";
  CHECK(tools::LoadPlugins(bad).status().code() == base::StatusCode::kInvalidArgument);
}

TEST_CASE("plugins: a broken config file is a warning naming it", "[tools][mcp]") {
  auto repo = mcp_testing::MakePluginRepo();
  repo.Write(".longhaul/plugins.json", "{\"plugins\": {\"a\": {\"command\": \"x\",}}}");
  auto loaded = Load(repo);
  CHECK(loaded.tools.empty());
  REQUIRE(loaded.warnings.size() == 1);
  CHECK_THAT(loaded.warnings[0], Catch::StartsWith(repo.root + "/.longhaul/plugins.json: not valid JSON: "));
  CHECK_THAT(loaded.warnings[0], Catch::EndsWith("; no plugins from this file"));
}

TEST_CASE("plugins: a busy server: pages, pings, refused requests, odd names", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"chatty", PythonPeer("chatty_server.py")}});
  auto loaded = Load(repo);
  // Both pages were read; "dotted.name/x" became a name a model API takes;
  // the 70-character name was left out with a warning.
  CHECK(mcp_testing::Names(loaded) ==
        std::vector<std::string>{"chatty__dotted_name_x", "chatty__echo", "chatty__write_thing"});
  const std::string warnings = mcp_testing::Warnings(loaded);
  CHECK(Has(warnings, "tool \"" + std::string(70, 'y') + "\" left out: its name would exceed 64 characters"));
  const tools::Tool* echo = mcp_testing::Find(loaded, "chatty__echo");
  REQUIRE(echo != nullptr);
  CHECK_FALSE(echo->is_mutating());  // readOnlyHint
  CHECK(mcp_testing::Find(loaded, "chatty__write_thing")->is_mutating());
  CHECK(echo->description() == "[plugin chatty] Echoes its message.");
  CHECK(echo->parameters_schema()["required"] == nlohmann::json{"message"});
  // The server gave {}: it becomes an object schema.
  CHECK(mcp_testing::Find(loaded, "chatty__dotted_name_x")->parameters_schema() == nlohmann::json{{"type", "object"}});

  auto r = Call(loaded, "chatty__echo", {{"message", "hi"}}, mcp_testing::Context(repo));
  CHECK_FALSE(r.is_error);
  CHECK(r.text == "answers ok; {\"message\": \"hi\"}");
  CHECK(r.details["plugin"] == "chatty");
  CHECK(r.details["tool"] == "echo");
  CHECK(r.details["protocol"] == "2025-11-25");
  auto not_object = Call(loaded, "chatty__echo", nlohmann::json::array({1}), mcp_testing::Context(repo));
  CHECK(not_object.is_error);
  CHECK(not_object.text == "the arguments must be a JSON object");
}

TEST_CASE("plugins: the tool list is sorted and the same on every load", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"zeta", PythonPeer("chatty_server.py")},
                  {"alpha", PythonPeer("chatty_server.py")},
                  {"words", {{"manifest", mcp_testing::Example("word-stats/manifest.json")}}}});
  auto Describe = [](const tools::LoadedPlugins& loaded) {
    std::string all;
    for (const auto& t : loaded.tools) {
      all += t->name() + " " + t->description() + " " + t->parameters_schema().dump() +
             (t->is_mutating() ? " mutating" : " read-only") + "\n";
    }
    return all;
  };
  auto first = Load(repo);
  auto second = Load(repo);
  std::vector<std::string> names = mcp_testing::Names(first);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(names.size() == 7);
  CHECK(names.front() == "alpha__dotted_name_x");
  CHECK(names.back() == "zeta__write_thing");
  CHECK(Describe(first) == Describe(second));
  CHECK(first.warnings == second.warnings);
}

TEST_CASE("plugins: an allow-list keeps only the named tools", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  nlohmann::json entry = PythonPeer("chatty_server.py");
  entry["tools"] = {"echo", "nonexistent"};
  entry["mutating_tools"] = {"echo"};
  repo.Configure({{"chatty", entry}});
  auto loaded = Load(repo);
  CHECK(mcp_testing::Names(loaded) == std::vector<std::string>{"chatty__echo"});
  CHECK(mcp_testing::Find(loaded, "chatty__echo")->is_mutating());  // the config beats readOnlyHint
  CHECK(Has(mcp_testing::Warnings(loaded), "\"tools\" names \"nonexistent\", which the plugin does not offer"));
}

TEST_CASE("plugins: a server that hangs is killed at the timeout, and restarted once", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  nlohmann::json entry = PythonPeer("hang_server.py");
  entry["timeout_seconds"] = 1;
  repo.Configure({{"hang", entry}});
  auto loaded = Load(repo);
  REQUIRE(mcp_testing::Names(loaded) == std::vector<std::string>{"hang__echo"});
  auto start = Clock::now();
  auto first = Call(loaded, "hang__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(SecondsSince(start) < 10);
  CHECK(first.is_error);
  CHECK(first.text ==
        "plugin \"hang\": the server did not answer within 1 s (it may hang). It was stopped; the next call starts "
        "it again.");
  auto second = Call(loaded, "hang__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(second.is_error);
  CHECK(Has(second.text, "did not answer within 1 s (it may hang). It had already been restarted once, so the "
                         "plugin stays off for this session."));
  start = Clock::now();
  auto third = Call(loaded, "hang__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(SecondsSince(start) < 0.5);  // no third server, no waiting
  CHECK(third.is_error);
  CHECK_THAT(third.text, Catch::StartsWith("plugin \"hang\": off for the rest of this session: its server failed "
                                           "again after a restart ("));
}

TEST_CASE("plugins: a server that crashes is reported with its signal and stderr", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"crash", PythonPeer("crash_server.py")}});
  auto loaded = Load(repo);
  auto first = Call(loaded, "crash__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(first.is_error);
  CHECK_THAT(first.text, Catch::StartsWith("plugin \"crash\": the server crashed (killed by signal 11 (SIGSEGV)); "
                                           "its stderr ends with:\ncrash_server: about to crash"));
  CHECK(Has(first.text, "the next call starts it again"));
  auto second = Call(loaded, "crash__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(second.is_error);
  CHECK(Has(second.text, "crashed (killed by signal 11 (SIGSEGV))"));
  CHECK(Has(second.text, "stays off for this session"));
  auto third = Call(loaded, "crash__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(Has(third.text, "off for the rest of this session"));
}

TEST_CASE("plugins: a crashed server is restarted, and the next call works", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  // Crashes only while the marker file (in the writable repository) is absent.
  repo.Configure({{"crash", PythonPeer("crash_server.py", {repo.root + "/crashed-once"})}});
  auto loaded = Load(repo);
  auto first = Call(loaded, "crash__echo", {{"message", "one"}}, mcp_testing::Context(repo));
  CHECK(first.is_error);
  CHECK(Has(first.text, "crashed"));
  CHECK(repo.Exists("crashed-once"));
  auto second = Call(loaded, "crash__echo", {{"message", "two"}}, mcp_testing::Context(repo));
  CHECK_FALSE(second.is_error);
  CHECK(second.text == "survived: two");
  auto third = Call(loaded, "crash__echo", {{"message", "three"}}, mcp_testing::Context(repo));
  CHECK(third.text == "survived: three");
}

TEST_CASE("plugins: a server that died between calls is restarted without failing a call", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"quitter", PythonPeer("quit_after_list.py")}});
  auto loaded = Load(repo);
  ::usleep(300000);  // it exits right after listing its tools
  auto r = Call(loaded, "quitter__echo", {{"message", "hi"}}, mcp_testing::Context(repo));
  CHECK_FALSE(r.is_error);
  CHECK(r.text == "back: hi");
}

TEST_CASE("plugins: garbage on stdout is a protocol error", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"garbage", PythonPeer("garbage_server.py")},
                  {"early", PythonPeer("garbage_server.py", {"start"})}});
  auto loaded = Load(repo);
  // The one that writes a log line on stdout at start never loads.
  CHECK(mcp_testing::Names(loaded) == std::vector<std::string>{"garbage__echo"});
  CHECK(Has(mcp_testing::Warnings(loaded),
            "plugin \"early\" (" + repo.root + "/.longhaul/plugins.json): not started: the MCP handshake failed: "
            "the server sent a line that is not JSON: \"Server starting... (a log line on stdout, which breaks the "
            "protocol)\", which breaks the protocol"));
  auto r = Call(loaded, "garbage__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(r.is_error);
  CHECK(r.text == "plugin \"garbage\": the server sent a line that is not JSON: \"oops {this is not json\", which "
                  "breaks the protocol. It was stopped; the next call starts it again.");
}

TEST_CASE("plugins: a message over the size limit is refused", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  nlohmann::json small = PythonPeer("oversized_server.py");
  small["max_message_bytes"] = 65536;
  nlohmann::json large = PythonPeer("oversized_server.py");
  repo.Configure({{"small", small}, {"large", large}});
  auto loaded = Load(repo);
  auto r = Call(loaded, "small__echo", {{"message", "x"}}, mcp_testing::Context(repo));
  CHECK(r.is_error);
  CHECK_THAT(r.text, Catch::StartsWith("plugin \"small\": the server sent a message of more than 65536 bytes"));
  // The default limit (4 MiB) lets it through; the model sees it cut.
  tools::ToolContext context = mcp_testing::Context(repo);
  context.output_id = "out-1";
  auto fine = Call(loaded, "large__echo", {{"message", "x"}}, context);
  CHECK_FALSE(fine.is_error);
  CHECK(fine.full_output.size() == 300000);
  CHECK(fine.truncated);
  CHECK(fine.text.size() <= context.limits.model_output_bytes);
  CHECK(Has(fine.text, "read_output"));
}

TEST_CASE("plugins: handshake-era servers that answer the probe oddly", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"err", PythonPeer("legacy_server.py", {"error", repo.root + "/starts-error"})},
                  {"silent", PythonPeer("legacy_server.py", {"silent", repo.root + "/starts-silent"})},
                  {"quits", PythonPeer("legacy_server.py", {"exit", repo.root + "/starts-exit"})}});
  auto loaded = Load(repo);
  INFO(mcp_testing::Warnings(loaded));
  CHECK(mcp_testing::Names(loaded) == std::vector<std::string>{"err__echo", "quits__echo", "silent__echo"});
  CHECK(loaded.warnings.empty());
  CHECK(repo.Read("starts-error") == "start\n");
  CHECK(repo.Read("starts-silent") == "start\n");
  CHECK(repo.Read("starts-exit") == "start\nstart\n");  // it quit at the probe, and was started without one
  for (const char* name : {"err", "silent", "quits"}) {
    auto r = Call(loaded, std::string(name) + "__echo", {{"message", "m"}}, mcp_testing::Context(repo));
    CHECK_FALSE(r.is_error);
    CHECK(Has(r.text, ": m"));
  }
}

TEST_CASE("plugins: a server that cannot start is a warning; the others load", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  repo.Configure({{"gone", {{"command", "no-such-mcp-server-xyz"}}},
                  {"fine", PythonPeer("chatty_server.py")}});
  auto loaded = Load(repo);
  CHECK(mcp_testing::Names(loaded).size() == 3);
  const std::string warnings = mcp_testing::Warnings(loaded);
  CHECK(Has(warnings, "plugin \"gone\""));
  CHECK(Has(warnings, "exited (exit code 127)"));
  CHECK(Has(warnings, "command not found"));
}

TEST_CASE("plugins: the example MCP server, stateless and with the handshake", "[tools][mcp][examples]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  const std::string server = mcp_testing::Example("notes-mcp/server.py");
  repo.Configure({{"notes", {{"command", "python3"}, {"args", {server}}}},
                  {"oldnotes", {{"command", "python3"}, {"args", {server}}, {"protocol", "2025-11-25"}}}});
  auto loaded = Load(repo);
  INFO(mcp_testing::Warnings(loaded));
  REQUIRE(mcp_testing::Names(loaded) ==
          std::vector<std::string>{"notes__add_note", "notes__list_notes", "oldnotes__add_note", "oldnotes__list_notes"});
  CHECK(mcp_testing::Find(loaded, "notes__add_note")->is_mutating());
  CHECK_FALSE(mcp_testing::Find(loaded, "notes__list_notes")->is_mutating());
  const tools::ToolContext context = mcp_testing::Context(repo);

  auto empty = Call(loaded, "notes__list_notes", nlohmann::json::object(), context);
  CHECK(empty.text == "no notes yet");
  // The server refuses requests without the version in _meta, so these
  // prove the stateless requests carry it.
  CHECK(empty.details["protocol"] == "2026-07-28");
  auto added = Call(loaded, "notes__add_note", {{"text", "ship it"}}, context);
  CHECK_FALSE(added.is_error);
  CHECK(added.text == "noted (1 notes now)");
  auto legacy = Call(loaded, "oldnotes__add_note", {{"text", "second"}}, context);
  CHECK(legacy.details["protocol"] == "2025-11-25");
  CHECK(legacy.text == "noted (2 notes now)");
  CHECK(repo.Read("NOTES.md") == "- ship it\n- second\n");
  auto listed = Call(loaded, "oldnotes__list_notes", nlohmann::json(), context);  // null arguments: {}
  CHECK(listed.text == "1. ship it\n2. second");
  auto refused = Call(loaded, "notes__add_note", {{"text", ""}}, context);
  CHECK(refused.is_error);
  CHECK(refused.text == "text must be one non-empty line");
}

TEST_CASE("plugins: a protocol the server does not speak is a clear warning", "[tools][mcp][peers]") {
  REQUIRE_PYTHON();
  auto repo = mcp_testing::MakePluginRepo();
  nlohmann::json entry = PythonPeer("legacy_server.py", {"error", repo.root + "/starts"});
  entry["protocol"] = "2026-07-28";
  repo.Configure({{"old", entry}});
  auto loaded = Load(repo);
  CHECK(loaded.tools.empty());
  CHECK(Has(mcp_testing::Warnings(loaded),
            "the server does not speak 2026-07-28 (server/discover: Invalid request parameters (JSON-RPC error "
            "-32602))"));
}
