#include "tests/agent/agent_test_util.h"

#include <filesystem>
#include <fstream>

#include "engine/model_file.h"
#include "tests/testing.h"

namespace agent_test {

const std::string& TinyModelPath() {
  static const std::string path = [] {
    engine::TinyModelSpec spec;
    spec.arch = "llama";
    spec.n_layer = 2;
    spec.n_embd = 64;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_ff = 128;
    spec.context_length = 8192;
    const std::string p = testing::MakeTempDir("lh_agent_model") + "/tiny.gguf";
    base::Status s = engine::WriteTinyModel(spec, p);
    if (!s.ok()) FAIL(s.ToString());
    return p;
  }();
  return path;
}

std::unique_ptr<engine::Context> MakeContext(const engine::Model& model, int64_t n_ctx) {
  engine::ContextOptions o;
  o.n_ctx = n_ctx;
  o.n_threads = 2;
  o.n_batch = 256;
  o.kv_policy = Unwrap(engine::ParseKvPolicy("dense"));
  return Unwrap(engine::Context::Create(model, o));
}

ScriptedPicker::ScriptedPicker(engine::Model model, std::vector<std::string> replies)
    : model_(std::move(model)), replies_(std::move(replies)) {}

void ScriptedPicker::BeginReply(int64_t reply_index) {
  const std::string text = reply_index < static_cast<int64_t>(replies_.size())
                               ? replies_[static_cast<size_t>(reply_index)]
                               : std::string("done.");
  script_ = model_.Tokenize(text, /*add_special=*/false, /*parse_special=*/true);
  script_.push_back(model_.eos_token());
  next_ = 0;
}

int32_t ScriptedPicker::Pick(std::span<float>, std::span<const int32_t>) {
  if (on_pick) on_pick(picked_);
  ++picked_;
  if (next_ >= script_.size()) return model_.eos_token();
  return script_[next_++];
}

std::string MakeRepo(const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string dir = testing::MakeTempDir("lh_agent_repo");
  for (const auto& [name, text] : files) {
    std::filesystem::create_directories(std::filesystem::path(dir + "/" + name).parent_path());
    std::ofstream(dir + "/" + name) << text;
  }
  return dir;
}

Harness MakeHarness(const std::vector<std::pair<std::string, std::string>>& files) {
  Harness h{testing::MakeTempDir("lh_agent_data"), MakeRepo(files), Unwrap(engine::Model::Load(TinyModelPath())),
            nullptr};
  sessions::StoreOptions so;
  so.data_dir = h.data_dir;
  h.store = Unwrap(sessions::Store::Open(so));
  return h;
}

agent::AgentOptions Options(Harness& h, std::shared_ptr<agent::TokenPicker> picker) {
  agent::AgentOptions o;
  o.context = MakeContext(h.model);
  o.store = h.store.get();
  o.repo = h.repo;
  o.picker = std::move(picker);
  o.helper_binary = testing::LonghaulBinary();
  o.tool_limits.command_timeout_seconds = 60;
  o.max_steps = 8;
  return o;
}

std::vector<agent::Event> PumpTurn(agent::Agent* agent) {
  std::vector<agent::Event> out;
  while (auto e = agent->NextEvent(std::chrono::seconds(120))) {
    out.push_back(*e);
    if (e->kind == agent::Event::Kind::kTurnDone || e->kind == agent::Event::Kind::kClosed) return out;
  }
  FAIL("the agent produced no event for 120 s");
  return out;
}

std::optional<agent::Event> NextOfKind(agent::Agent* agent, std::initializer_list<agent::Event::Kind> kinds) {
  while (auto e = agent->NextEvent(std::chrono::seconds(30))) {
    for (agent::Event::Kind k : kinds) {
      if (e->kind == k) return e;
    }
  }
  return std::nullopt;
}

std::vector<agent::Event> Close(std::unique_ptr<agent::Agent> agent) {
  std::vector<agent::Event> out;
  agent->Submit(agent::Op::Of(agent::Op::Kind::kQuit));
  while (auto e = agent->NextEvent(std::chrono::seconds(60))) out.push_back(*e);
  return out;
}

std::vector<std::string> Kinds(const std::vector<agent::Event>& events) {
  std::vector<std::string> kinds;
  for (const auto& e : events) {
    if (e.kind == agent::Event::Kind::kToken || e.kind == agent::Event::Kind::kPrefillProgress) continue;
    kinds.push_back(agent::EventKindName(e.kind));
  }
  return kinds;
}

std::vector<agent::Event> OfKind(const std::vector<agent::Event>& events, agent::Event::Kind kind) {
  std::vector<agent::Event> out;
  for (const auto& e : events) {
    if (e.kind == kind) out.push_back(e);
  }
  return out;
}

std::string Call(const std::string& name, const std::string& arguments_json) {
  return "<tool_call>\n{\"name\": \"" + name + "\", \"arguments\": " + arguments_json + "}\n</tool_call>";
}

}  // namespace agent_test
