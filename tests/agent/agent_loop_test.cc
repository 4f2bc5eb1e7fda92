// The agent loop end to end with a scripted model: whole event sequences.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/sandbox.h"
#include "tests/agent/agent_test_util.h"

namespace {

using agent::Event;
using namespace agent_test;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> StoredKinds(sessions::Store* store, const std::string& id) {
  std::vector<std::string> kinds;
  for (const auto& e : Unwrap(store->Events(id))) kinds.push_back(e.kind);
  return kinds;
}

// The sandbox runs commands only where the kernel offers every layer; tests
// that run one say so and stop elsewhere.
bool SandboxAvailable() {
  const sandbox::KernelFeatures& k = sandbox::ProbeKernelFeatures();
  return k.user_namespace && k.mount_namespace && k.pid_namespace && k.net_namespace && k.landlock_abi > 0 &&
         k.seccomp_filter;
}

TEST_CASE("a task that reads a file, edits it, runs the tests in the sandbox and finishes", "[agent]") {
  Harness h = MakeHarness({{"calc.txt", "def add(a, b):\n    return a - b\n"},
                           {"test.sh", "grep -q 'return a + b' calc.txt && echo PASS || { echo FAIL; exit 1; }\n"}});
  const bool sandbox = SandboxAvailable();
  if (!sandbox) WARN("SKIPPED the run_command step: the kernel lacks a required sandbox layer");
  std::vector<std::string> replies = {Call("read_file", R"({"path": "calc.txt"})"),
                                      Call("edit_file",
                                           R"({"path": "calc.txt", "old_text": "a - b", "new_text": "a + b"})")};
  if (sandbox) replies.push_back(Call("run_command", R"({"command": "sh test.sh"})"));
  replies.push_back("Fixed: add() now adds.");
  const size_t n_calls = replies.size() - 1;
  auto picker = std::make_shared<ScriptedPicker>(h.model, replies);
  auto agent = Unwrap(agent::Agent::Start(Options(h, picker)));
  agent->Submit(agent::Op::User("add() subtracts; fix it and run test.sh"));
  std::vector<Event> events = PumpTurn(agent.get());

  std::vector<std::string> expected = {"session_started"};
  for (size_t i = 0; i < n_calls; ++i) {
    for (const char* k : {"tool_call", "tool_result", "checkpoint"}) expected.push_back(k);
  }
  expected.push_back("checkpoint");
  expected.push_back("turn_done");
  CHECK(Kinds(events) == expected);
  CHECK(events.back().data["reason"] == "done");
  CHECK(events.back().data["steps"] == static_cast<int>(n_calls + 1));

  const auto results = OfKind(events, Event::Kind::kToolResult);
  REQUIRE(results.size() == n_calls);
  for (const auto& r : results) CHECK_FALSE(r.data["is_error"].get<bool>());
  CHECK(results[0].data["text"].get<std::string>().find("return a - b") != std::string::npos);
  CHECK(ReadAll(h.repo + "/calc.txt") == "def add(a, b):\n    return a + b\n");
  if (sandbox) CHECK(results[2].data["text"].get<std::string>().find("PASS") != std::string::npos);
  // Tokens streamed, and prefill progress reported.
  CHECK_FALSE(OfKind(events, Event::Kind::kToken).empty());
  CHECK_FALSE(OfKind(events, Event::Kind::kPrefillProgress).empty());

  const std::string id = agent->session_id();
  Close(std::move(agent));
  std::vector<std::string> log = {"session_started", "user_message"};
  for (size_t i = 0; i < n_calls; ++i) {
    for (const char* k : {"assistant_message", "tool_call", "tool_result"}) log.push_back(k);
  }
  log.push_back("assistant_message");
  CHECK(StoredKinds(h.store.get(), id) == log);
  const auto checkpoints = Unwrap(h.store->Checkpoints(id));
  CHECK(checkpoints.size() == n_calls + 1);  // one per step
}

TEST_CASE("malformed calls, failing tools and unknown tools go back to the model and the loop goes on", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  auto picker = std::make_shared<ScriptedPicker>(
      h.model, std::vector<std::string>{"<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \n</tool_call>",
                                        Call("read_file", R"({"path": "missing.txt"})"),
                                        Call("launch_rockets", R"({"count": 3})"),
                                        "<tool_call>{\"name\": \"read_file\"",
                                        Call("read_file", R"({"path": "a.txt"})"), "All done."});
  agent::AgentOptions o = Options(h, picker);
  o.context = MakeContext(h.model, 16384);  // six steps with every tool's schema
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("read a.txt"));
  std::vector<Event> events = PumpTurn(agent.get());
  for (const auto& e : OfKind(events, Event::Kind::kError)) UNSCOPED_INFO(e.data.dump());
  CHECK(events.back().data["reason"] == "done");
  CHECK(events.back().data["steps"] == 6);
  const auto calls = OfKind(events, Event::Kind::kToolCall);
  const auto results = OfKind(events, Event::Kind::kToolResult);
  REQUIRE(results.size() == 5);
  CHECK_FALSE(calls[0].data["valid"].get<bool>());
  CHECK(results[0].data["is_error"].get<bool>());
  CHECK(results[0].data["text"].get<std::string>().find("not valid JSON") != std::string::npos);
  CHECK(results[1].data["is_error"].get<bool>());
  CHECK(results[1].data["text"].get<std::string>().find("missing.txt") != std::string::npos);
  CHECK(results[2].data["is_error"].get<bool>());
  CHECK(results[2].data["text"].get<std::string>().find("unknown tool 'launch_rockets'") != std::string::npos);
  CHECK(results[3].data["is_error"].get<bool>());
  CHECK(results[3].data["text"].get<std::string>().find("never closed") != std::string::npos);
  CHECK_FALSE(results[4].data["is_error"].get<bool>());
  CHECK(results[4].data["text"].get<std::string>().find("alpha") != std::string::npos);
  Close(std::move(agent));
}

TEST_CASE("an interrupt ends the turn cleanly, keeps the session, and the next turn works", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  auto picker = std::make_shared<ScriptedPicker>(
      h.model, std::vector<std::string>{std::string(400, 'x'), "second turn."});
  agent::Agent* raw = nullptr;
  picker->on_pick = [&](int n) {
    if (n == 20) raw->Interrupt();
  };
  auto agent = Unwrap(agent::Agent::Start(Options(h, picker)));
  raw = agent.get();
  agent->Submit(agent::Op::User("write a lot"));
  std::vector<Event> first = PumpTurn(agent.get());
  CHECK(first.back().data["reason"] == "interrupted");
  CHECK(OfKind(first, Event::Kind::kToken).size() < 100);
  CHECK(OfKind(first, Event::Kind::kCheckpoint).size() == 1);  // the partial reply is kept

  agent->Submit(agent::Op::User("go on"));
  std::vector<Event> second = PumpTurn(agent.get());
  CHECK(second.back().data["reason"] == "done");
  Close(std::move(agent));
}

TEST_CASE("max steps ends a turn that keeps calling tools", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  std::vector<std::string> replies(10, Call("list_dir", "{}"));
  auto picker = std::make_shared<ScriptedPicker>(h.model, replies);
  agent::AgentOptions o = Options(h, picker);
  o.max_steps = 3;
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("loop"));
  std::vector<Event> events = PumpTurn(agent.get());
  CHECK(events.back().data["reason"] == "max_steps");
  CHECK(OfKind(events, Event::Kind::kToolResult).size() == 3);
  Close(std::move(agent));
}

}  // namespace

namespace {

TEST_CASE("streamed text never splits a UTF-8 character", "[agent]") {
  using namespace agent_test;
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  const std::string reply = "caf\xC3\xA9 \xE2\x98\x95 na\xC3\xAFve \xF0\x9F\x9A\x80!";
  auto picker = std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{reply});
  auto agent = Unwrap(agent::Agent::Start(Options(h, picker)));
  agent->Submit(agent::Op::User("say something"));
  const auto events = PumpTurn(agent.get());
  Close(std::move(agent));
  std::string streamed;
  for (const auto& e : OfKind(events, agent::Event::Kind::kToken)) {
    CHECK_NOTHROW(e.data.dump());  // nlohmann refuses invalid UTF-8
    streamed += e.data["text"].get<std::string>();
  }
  CHECK(streamed == reply);
}

}  // namespace

namespace {

TEST_CASE("Llama 3 JSON tool calls are parsed and run, constrained from the first brace", "[agent]") {
  using namespace agent_test;
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  auto picker = std::make_shared<ScriptedPicker>(
      h.model, std::vector<std::string>{R"({"name": "read_file", "parameters": {"path": "a.txt"}})", "It says alpha."});
  agent::AgentOptions o = Options(h, picker);
  o.tool_syntax = engine::ToolCallSyntax::kLlama3Json;
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("read a.txt"));
  const auto events = PumpTurn(agent.get());
  Close(std::move(agent));
  CHECK(events.front().data["tool_syntax"] == "llama3_json");
  const auto results = OfKind(events, agent::Event::Kind::kToolResult);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].data["is_error"].get<bool>());
  CHECK(results[0].data["text"].get<std::string>().find("alpha") != std::string::npos);
  CHECK(events.back().data["reason"] == "done");
}

}  // namespace

namespace {

TEST_CASE("over-long output is cut for the model, kept whole in the log, and read_output pages it", "[agent]") {
  using namespace agent_test;
  std::string big;
  for (int i = 0; i < 3000; ++i) big += "line " + std::to_string(i) + " of the big file\n";
  Harness h = MakeHarness({{"big.txt", big}});
  auto picker = std::make_shared<ScriptedPicker>(
      h.model, std::vector<std::string>{Call("read_file", R"({"path": "big.txt"})"),
                                        Call("read_output", R"({"output_id": "c00000001", "offset": 60000})"),
                                        "done."});
  agent::AgentOptions o = Options(h, picker);
  o.tool_limits.model_output_bytes = 4096;
  o.context = MakeContext(h.model, 16384);
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("read big.txt"));
  const auto events = PumpTurn(agent.get());
  const std::string id = agent->session_id();
  Close(std::move(agent));
  const auto results = OfKind(events, agent::Event::Kind::kToolResult);
  std::string errors;
  for (const auto& e : OfKind(events, agent::Event::Kind::kError)) errors += e.data.dump();
  INFO(errors);
  REQUIRE(results.size() == 2);
  CHECK(results[0].data["truncated"] == true);
  CHECK(results[0].data["text"].get<std::string>().size() <= 4096);
  CHECK(results[0].data["text"].get<std::string>().find("read_output") != std::string::npos);
  // The log keeps the whole output.
  for (const auto& e : Unwrap(h.store->Events(id))) {
    if (e.kind != "tool_result") continue;
    const auto p = nlohmann::json::parse(e.payload);
    if (p["id"] == "c00000001") CHECK(p["full_output"].get<std::string>().find("line 2999 of") != std::string::npos);
  }
  // read_output paged into the middle of it.
  CHECK_FALSE(results[1].data["is_error"].get<bool>());
  CHECK(results[1].data["text"].get<std::string>().find(" of the big file") != std::string::npos);
}

}  // namespace
