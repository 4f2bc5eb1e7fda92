// Resume after a kill mid-tool, forks that diverge, and the stable prefix.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/agent/agent_test_util.h"
#include "tests/testing.h"
#include "tools/git_checkpoints.h"
#include "tools/tool.h"

namespace {

using agent::Event;
using namespace agent_test;

// A tool that kills its own process with SIGKILL: the agent is killed in
// the middle of running it.
class KillTool final : public tools::Tool {
 public:
  std::string name() const override { return "deploy"; }
  std::string description() const override { return "Deploys the project."; }
  nlohmann::json parameters_schema() const override {
    return {{"type", "object"}, {"properties", nlohmann::json::object()}, {"additionalProperties", false}};
  }
  base::Result<tools::ToolResult> Run(const nlohmann::json&, const tools::ToolContext&) const override {
    if (::getenv("LH_TEST_KILL_IN_TOOL") != nullptr) ::kill(::getpid(), SIGKILL);
    tools::ToolResult r;
    r.text = "deployed";
    return r;
  }
};

std::vector<std::shared_ptr<const tools::Tool>> ToolsWithKill() {
  std::vector<std::shared_ptr<const tools::Tool>> list;
  for (auto& t : tools::BuiltinTools()) list.push_back(std::move(t));
  list.push_back(std::make_shared<KillTool>());
  return list;
}

std::vector<std::string> StoredKinds(sessions::Store* store, const std::string& id) {
  std::vector<std::string> kinds;
  for (const auto& e : Unwrap(store->Events(id))) kinds.push_back(e.kind);
  return kinds;
}

TEST_CASE("a kill in the middle of a tool resumes with the call answered as interrupted", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  const std::vector<std::string> replies = {Call("read_file", R"({"path": "a.txt"})"), Call("deploy", "{}")};
  // The child runs the agent until the tool kills it; the parent resumes.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setenv("LH_TEST_KILL_IN_TOOL", "1", 1);
    sessions::StoreOptions so;
    so.data_dir = h.data_dir;
    auto store = sessions::Store::Open(so);
    if (!store.ok()) ::_exit(10);
    (void)h.store.release();  // the parent's SQLite connection must not be closed from a fork
    h.store = std::move(*store);
    agent::AgentOptions o = Options(h, std::make_shared<ScriptedPicker>(h.model, replies));
    o.session_name = "killed";
    o.tools = ToolsWithKill();
    auto agent = agent::Agent::Start(std::move(o));
    if (!agent.ok()) ::_exit(11);
    (*agent)->Submit(agent::Op::User("deploy it"));
    while ((*agent)->NextEvent(std::chrono::seconds(60))) {
    }
    ::_exit(12);  // not reached: the tool kills the process
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  // The log ends with the call, without a result; one step was checkpointed.
  const sessions::SessionInfo info = Unwrap(h.store->Find("killed"));
  const std::vector<std::string> before = StoredKinds(h.store.get(), info.id);
  REQUIRE(before.back() == "tool_call");
  REQUIRE(info.head_checkpoint != 0);

  agent::AgentOptions o = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{}));
  o.resume = "killed";
  o.tools = ToolsWithKill();
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  auto started = agent->NextEvent(std::chrono::seconds(10));
  REQUIRE(started);
  CHECK(started->kind == Event::Kind::kSessionStarted);
  CHECK(started->data["resumed"] == true);
  CHECK(started->data["restored_tokens"].get<int64_t>() == info.n_tokens);
  const std::vector<std::string> after = StoredKinds(h.store.get(), info.id);
  REQUIRE(after.size() == before.size() + 1);
  CHECK(after.back() == "tool_result");
  const auto log = Unwrap(h.store->Events(info.id));
  const auto interrupted = nlohmann::json::parse(log.back().payload);
  CHECK(interrupted["interrupted"] == true);
  CHECK(interrupted["text"].get<std::string>().find("interrupted") != std::string::npos);

  // The next turn prefills only what is new: the restored tokens are reused
  // as they are (the prefix renders byte-identically), none truncated.
  agent->Submit(agent::Op::User("status?"));
  std::vector<Event> turn = PumpTurn(agent.get());
  CHECK(turn.back().data["reason"] == "done");
  Close(std::move(agent));
  const auto full = Unwrap(h.store->Events(info.id));
  nlohmann::json reply;
  for (const auto& e : full) {
    if (e.kind == "assistant_message") reply = nlohmann::json::parse(e.payload);
  }
  CHECK(reply["reused_tokens"].get<int64_t>() == info.n_tokens);
  CHECK(reply["truncated_tokens"].get<int64_t>() == 0);
  // The model was told: the interrupted result is in what it was shown.
  CHECK(reply["prefilled_tokens"].get<int64_t>() > 0);
}

TEST_CASE("a fork and its source diverge independently", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  auto picker = std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{"first answer."});
  agent::AgentOptions o = Options(h, picker);
  o.session_name = "main";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("question one"));
  PumpTurn(agent.get());
  agent->Submit(agent::Op::Of(agent::Op::Kind::kFork));
  const std::optional<Event> forked = NextOfKind(agent.get(), {Event::Kind::kForked});
  REQUIRE(forked);
  const std::string fork_id = forked->data["session_id"];
  REQUIRE_FALSE(fork_id.empty());
  agent->Submit(agent::Op::User("main only"));
  PumpTurn(agent.get());

  // The fork resumes from the fork point (alongside the running source).
  agent::AgentOptions fo = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{}));
  fo.resume = fork_id;
  auto fork = Unwrap(agent::Agent::Start(std::move(fo)));
  fork->Submit(agent::Op::User("fork only"));
  CHECK(PumpTurn(fork.get()).back().data["reason"] == "done");
  Close(std::move(fork));
  Close(std::move(agent));

  auto texts = [&](const std::string& id) {
    std::vector<std::string> users;
    for (const auto& e : Unwrap(h.store->Events(id))) {
      if (e.kind == "user_message") users.push_back(nlohmann::json::parse(e.payload)["text"]);
    }
    return users;
  };
  CHECK(texts(Unwrap(h.store->Find("main")).id) == std::vector<std::string>{"question one", "main only"});
  CHECK(texts(fork_id) == std::vector<std::string>{"question one", "fork only"});
}

TEST_CASE("the prefix stays stable: a changed tool set after a resume is announced, not re-rendered", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  agent::AgentOptions o = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{"ok."}));
  o.session_name = "stable";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("hello"));
  PumpTurn(agent.get());
  Close(std::move(agent));
  const sessions::SessionInfo info = Unwrap(h.store->Find("stable"));

  agent::AgentOptions r = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{}));
  r.resume = "stable";
  r.tools = ToolsWithKill();  // one tool more than the session started with
  auto resumed = Unwrap(agent::Agent::Start(std::move(r)));
  resumed->Submit(agent::Op::User("again"));
  CHECK(PumpTurn(resumed.get()).back().data["reason"] == "done");
  Close(std::move(resumed));

  const auto log = Unwrap(h.store->Events(info.id));
  bool announced = false;
  nlohmann::json last_reply;
  for (const auto& e : log) {
    const auto p = nlohmann::json::parse(e.payload);
    if (e.kind == "notice") announced = p["text"].get<std::string>().find("Added: {") != std::string::npos;
    if (e.kind == "assistant_message") last_reply = p;
  }
  CHECK(announced);
  // Nothing the cache held was re-rendered differently.
  CHECK(last_reply["truncated_tokens"].get<int64_t>() == 0);
  CHECK(last_reply["reused_tokens"].get<int64_t>() == info.n_tokens);
}

TEST_CASE("undo returns to the state before the last message, and a resume replays it", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  agent::AgentOptions o =
      Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{"one.", "two."}));
  o.session_name = "undo";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("first"));
  const auto t1 = PumpTurn(agent.get());
  const int64_t n_after_first = OfKind(t1, Event::Kind::kCheckpoint).back().data["n_past"];
  agent->Submit(agent::Op::User("second"));
  PumpTurn(agent.get());
  agent->Submit(agent::Op::Of(agent::Op::Kind::kUndo));
  const std::optional<Event> undone = NextOfKind(agent.get(), {Event::Kind::kUndone, Event::Kind::kError});
  REQUIRE(undone);
  INFO(undone->data.dump());
  REQUIRE(undone->kind == Event::Kind::kUndone);
  CHECK(undone->data["n_past"].get<int64_t>() == n_after_first);
  Close(std::move(agent));
  CHECK(Unwrap(h.store->Find("undo")).n_tokens == n_after_first);
}

}  // namespace

namespace {

TEST_CASE("rewind N returns conversation, KV cache and files to before message N", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "v0\n"}});
  const auto init = testing::RunCommand({"/usr/bin/git", "init", "-q", h.repo});
  if (init.exit_code != 0) {
    WARN("SKIPPED: git init failed: " << init.err);
    return;
  }
  // Each of three turns writes a.txt once, then answers.
  std::vector<std::string> script;
  for (int v = 1; v <= 3; ++v) {
    script.push_back(Call("write_file", R"({"path": "a.txt", "content": "v)" + std::to_string(v) + R"(\n"})"));
    script.push_back("ok.");
  }
  agent::AgentOptions o = Options(h, std::make_shared<ScriptedPicker>(h.model, script));
  o.session_name = "rewind";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  std::vector<int64_t> n_after;  // tokens after each turn
  for (int t = 1; t <= 3; ++t) {
    agent->Submit(agent::Op::User("turn " + std::to_string(t)));
    const auto events = PumpTurn(agent.get());
    REQUIRE(events.back().data["reason"] == "done");
    n_after.push_back(OfKind(events, Event::Kind::kCheckpoint).back().data["n_past"]);
  }
  auto read = [&] {
    std::ifstream in(h.repo + "/a.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  CHECK(read() == "v3\n");

  agent->Submit(agent::Op::Rewind(4));  // there is no 4th message
  auto refused = NextOfKind(agent.get(), {Event::Kind::kUndone, Event::Kind::kError});
  REQUIRE(refused);
  CHECK(refused->kind == Event::Kind::kError);
  CHECK(read() == "v3\n");

  agent->Submit(agent::Op::Rewind(2));
  auto rewound = NextOfKind(agent.get(), {Event::Kind::kUndone, Event::Kind::kError});
  REQUIRE(rewound);
  INFO(rewound->data.dump());
  REQUIRE(rewound->kind == Event::Kind::kUndone);
  CHECK(rewound->data["n_past"].get<int64_t>() == n_after[0]);
  CHECK(read() == "v1\n");
  const std::string id = agent->session_id();
  Close(std::move(agent));

  // A resume replays the rewind: the session holds turn 1 only.
  CHECK(Unwrap(h.store->Find(id)).n_tokens == n_after[0]);
  agent::AgentOptions r = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{"ok."}));
  r.resume = id;
  auto resumed = Unwrap(agent::Agent::Start(std::move(r)));
  auto started = NextOfKind(resumed.get(), {Event::Kind::kSessionStarted});
  REQUIRE(started);
  CHECK(started->data["restored_tokens"].get<int64_t>() == n_after[0]);
  Close(std::move(resumed));

  // `longhaul undo` puts the files of any checkpoint back, the session
  // named by --session or, by default, the latest one of the directory.
  const auto list = testing::RunLonghaul({"undo", "--session", id, "--list", "--json", "--data-dir", h.data_dir});
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("\"step\":0") != std::string::npos);
  const auto to_base = testing::RunLonghaul({"undo", "--session", id, "--to", "0", "--data-dir", h.data_dir});
  INFO(to_base.err);
  REQUIRE(to_base.exit_code == 0);
  CHECK(read() == "v0\n");
  const std::string longhaul = std::string(LONGHAUL_BINARY_DIR) + "/agent/longhaul";
  const auto here = testing::RunCommand(
      {"/bin/sh", "-c", "cd '" + h.repo + "' && '" + longhaul + "' undo --to 1 --json --data-dir '" + h.data_dir + "'"});
  INFO(here.err);
  REQUIRE(here.exit_code == 0);
  CHECK(nlohmann::json::parse(here.out)["session"] == id);
  CHECK(read() == "v1\n");
  const auto nowhere = testing::RunCommand(
      {"/bin/sh", "-c", "cd / && '" + longhaul + "' undo --data-dir '" + h.data_dir + "'"});
  CHECK(nowhere.exit_code != 0);
  CHECK(nowhere.err.find("no session works in /") != std::string::npos);
}

TEST_CASE("file checkpoints: undo puts back the files the turn changed, and rm removes the refs", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}, {"keep.txt", "keep\n"}});
  const auto init = testing::RunCommand({"/usr/bin/git", "init", "-q", h.repo});
  if (init.exit_code != 0) {
    WARN("SKIPPED: git init failed: " << init.err);
    return;
  }
  auto picker = std::make_shared<ScriptedPicker>(
      h.model, std::vector<std::string>{Call("write_file", R"({"path": "a.txt", "content": "beta\n"})"),
                                        Call("write_file", R"({"path": "new.txt", "content": "new\n"})"), "done."});
  agent::AgentOptions o = Options(h, picker);
  o.session_name = "files";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  auto started = agent->NextEvent(std::chrono::seconds(10));
  REQUIRE(started);
  CHECK(started->data["file_checkpoints"] == true);
  agent->Submit(agent::Op::User("change things"));
  CHECK(PumpTurn(agent.get()).back().data["reason"] == "done");
  auto read = [&](const std::string& name) {
    std::ifstream in(h.repo + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return in ? ss.str() : std::string("<missing>");
  };
  CHECK(read("a.txt") == "beta\n");
  CHECK(read("new.txt") == "new\n");
  const std::string id = agent->session_id();
  const auto steps = Unwrap(tools::git::ListCheckpoints(h.repo, id));
  CHECK(steps.size() == 3);  // the baseline, then one per mutating step

  agent->Submit(agent::Op::Of(agent::Op::Kind::kUndo));
  const std::optional<Event> undone = NextOfKind(agent.get(), {Event::Kind::kUndone, Event::Kind::kError});
  REQUIRE(undone);
  INFO(undone->data.dump());
  REQUIRE(undone->kind == Event::Kind::kUndone);
  CHECK(undone->data["files_step"] == 0);
  CHECK(read("a.txt") == "alpha\n");
  CHECK(read("new.txt") == "<missing>");
  CHECK(read("keep.txt") == "keep\n");
  Close(std::move(agent));

  // gc keeps the refs of a session that still exists...
  const auto keep = testing::RunLonghaul({"sessions", "gc", "--data-dir", h.data_dir, "--json"});
  INFO(keep.err);
  REQUIRE(keep.exit_code == 0);
  CHECK(nlohmann::json::parse(keep.out)["file_checkpoint_refs_removed"] == 0);
  CHECK(Unwrap(tools::git::ListCheckpoints(h.repo, id)).size() == 3);

  const auto rm = testing::RunLonghaul({"sessions", "rm", "files", "--data-dir", h.data_dir, "--json"});
  INFO(rm.err);
  REQUIRE(rm.exit_code == 0);
  CHECK(nlohmann::json::parse(rm.out)["file_checkpoint_refs_removed"] == 3);
  CHECK(Unwrap(tools::git::ListCheckpoints(h.repo, id)).empty());

  // ...and removes those of one the store no longer knows (what `rm`
  // could not reach), from the repositories it is told about.
  Unwrap(tools::git::Snapshot(h.repo, "ghost-session", 1));
  Unwrap(tools::git::Snapshot(h.repo, "ghost-session", 2));
  CHECK(Unwrap(tools::git::ListCheckpointSessions(h.repo)) == std::vector<std::string>{"ghost-session"});
  const auto gc = testing::RunLonghaul({"sessions", "gc", "--data-dir", h.data_dir, "--repo", h.repo, "--json"});
  INFO(gc.err);
  REQUIRE(gc.exit_code == 0);
  CHECK(nlohmann::json::parse(gc.out)["file_checkpoint_refs_removed"] == 2);
  CHECK(Unwrap(tools::git::ListCheckpointSessions(h.repo)).empty());
}

}  // namespace

namespace {

// The same resume on the compressed tiers: closed blocks, a rollback
// (Truncate) across block boundaries when an undo reloads an old
// checkpoint, and a resume that reuses every cached token.
TEST_CASE("the agent resumes and undoes on the tiered KV cache", "[agent]") {
  Harness h = MakeHarness({{"a.txt", "alpha\n"}});
  auto tiered = [&] {
    engine::ContextOptions c;
    c.n_ctx = 16384;
    c.n_threads = 2;
    c.n_batch = 64;
    c.kv_policy = Unwrap(engine::ParseKvPolicy("tiered:sink=4,window=64,unit=4,block=32,topk=4,dense_layers=0"));
    return Unwrap(engine::Context::Create(h.model, c));
  };
  agent::AgentOptions o = Options(h, std::make_shared<ScriptedPicker>(
                                         h.model, std::vector<std::string>{Call("read_file", R"({"path": "a.txt"})"),
                                                                           "It says alpha.", "Second answer."}));
  o.context = tiered();
  o.session_name = "tiered";
  auto agent = Unwrap(agent::Agent::Start(std::move(o)));
  agent->Submit(agent::Op::User("read a.txt"));
  CHECK(PumpTurn(agent.get()).back().data["reason"] == "done");
  agent->Submit(agent::Op::User("and again"));
  CHECK(PumpTurn(agent.get()).back().data["reason"] == "done");
  agent->Submit(agent::Op::Of(agent::Op::Kind::kUndo));
  const std::optional<Event> undone = NextOfKind(agent.get(), {Event::Kind::kUndone, Event::Kind::kError});
  REQUIRE(undone);
  INFO(undone->data.dump());
  CHECK(undone->kind == Event::Kind::kUndone);
  Close(std::move(agent));
  const sessions::SessionInfo info = Unwrap(h.store->Find("tiered"));

  agent::AgentOptions r = Options(h, std::make_shared<ScriptedPicker>(h.model, std::vector<std::string>{}));
  r.context = tiered();
  r.resume = "tiered";
  auto resumed = Unwrap(agent::Agent::Start(std::move(r)));
  resumed->Submit(agent::Op::User("once more"));
  CHECK(PumpTurn(resumed.get()).back().data["reason"] == "done");
  Close(std::move(resumed));
  nlohmann::json last;
  for (const auto& e : Unwrap(h.store->Events(info.id))) {
    if (e.kind == "assistant_message") last = nlohmann::json::parse(e.payload);
  }
  CHECK(last["reused_tokens"].get<int64_t>() == info.n_tokens);
  CHECK(last["truncated_tokens"].get<int64_t>() == 0);
}

}  // namespace
