// The real engine behind the agent: a random-weight model, every reply
// forced to open a tool call, constrained by the grammar; every call must
// parse and name a declared tool.
#include "tests/agent/agent_test_util.h"
#include "tools/tool.h"

namespace {

using agent::Event;
using namespace agent_test;

TEST_CASE("the tiny random model runs 20 grammar-constrained steps and every call parses", "[agent]") {
  Harness h = MakeHarness({{"README.md", "# sample\n"}, {"src/main.c", "int main(void) { return 0; }\n"}});
  agent::AgentOptions o = Options(h, nullptr);  // the engine's sampler
  o.context = MakeContext(h.model, 32768);      // 20 steps of tool schemas and results
  // Commands are left out: a random model would run random ones.
  for (auto& t : tools::BuiltinTools()) {
    if (t->name() != "run_command") o.tools.push_back(std::move(t));
  }
  o.tool_choice = agent::ToolChoice::kRequired;
  o.sampling.temperature = 1.0f;
  o.sampling.seed = 42;
  o.max_steps = 20;
  o.grammar.max_string_chars = 24;
  o.grammar.max_array_items = 3;
  o.grammar.max_number_digits = 4;
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("explore the repository"));
  const std::vector<Event> events = PumpTurn(agent.get());
  Close(std::move(agent));

  CHECK(events.back().data["reason"] == "max_steps");
  const auto calls = OfKind(events, Event::Kind::kToolCall);
  REQUIRE(calls.size() == 20);
  for (const Event& c : calls) {
    INFO(c.data.dump());
    CHECK(c.data["valid"].get<bool>());
    CHECK(c.data["arguments"].is_object());
    CHECK(c.data["name"].get<std::string>() != "run_command");
  }
  CHECK(OfKind(events, Event::Kind::kCheckpoint).size() == 20);
  CHECK(OfKind(events, Event::Kind::kError).empty());
}

}  // namespace
