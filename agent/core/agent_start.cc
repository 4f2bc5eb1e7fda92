// Opening a session: a new one, or a resume from its last checkpoint.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "agent/core/agent_impl.h"
#include "base/hash.h"
#include "tools/git_checkpoints.h"

namespace agent {
namespace {

class SamplerPicker final : public TokenPicker {
 public:
  explicit SamplerPicker(const engine::SamplerParams& params) : sampler_(params) {}
  int32_t Pick(std::span<float> logits, std::span<const int32_t> history) override {
    return sampler_.Sample(logits, history);
  }
  std::array<uint64_t, 4> rng_state() const override { return sampler_.rng_state(); }
  void set_rng_state(const std::array<uint64_t, 4>& s) override { sampler_.set_rng_state(s); }

 private:
  engine::Sampler sampler_;
};

const char* ChoiceName(ToolChoice c) {
  switch (c) {
    case ToolChoice::kAuto: return "auto";
    case ToolChoice::kRequired: return "required";
    case ToolChoice::kNone: return "none";
  }
  return "auto";
}

nlohmann::json ToolList(const std::map<std::string, std::shared_ptr<const tools::Tool>>& tools) {
  nlohmann::json list = nlohmann::json::array();  // std::map: sorted by name, a stable order
  for (const auto& [name, tool] : tools) {
    list.push_back({{"name", name}, {"description", tool->description()}, {"parameters", tool->parameters_schema()}});
  }
  return list;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

base::Status Agent::Impl::Open() {
  if (opt.store == nullptr || opt.context == nullptr) {
    return base::InvalidArgument("the agent needs a session store and a model context");
  }
  std::error_code ec;
  const std::filesystem::path repo = std::filesystem::canonical(opt.repo.empty() ? "." : opt.repo, ec);
  if (ec || !std::filesystem::is_directory(repo, ec)) {
    return base::InvalidArgument("the repository '" + opt.repo + "' is not a directory: " + ec.message());
  }
  opt.repo = repo.string();
  if (opt.tools.empty()) {
    for (auto& t : tools::BuiltinTools()) opt.tools.push_back(std::move(t));
  }
  for (const auto& t : opt.tools) tools[t->name()] = t;
  picker = opt.picker ? opt.picker : std::make_shared<SamplerPicker>(opt.sampling);
  transcript = std::make_unique<Transcript>(opt.context.get());
  RETURN_IF_ERROR(opt.resume.empty() ? StartNew() : Resume());

  const SessionSettings& s = renderer->settings();
  if (!tools.empty() && s.tool_choice != "none") {
    std::vector<engine::ToolSchema> schemas;
    for (const auto& [name, tool] : tools) schemas.push_back({name, tool->parameters_schema().dump()});
    auto c = engine::TokenConstraint::ForToolCalls(opt.context->model(), schemas, s.syntax, opt.grammar);
    if (!c.ok()) return base::InvalidArgument("building the tool-call grammar: " + c.status().message());
    constraint = std::move(*c);
  }
  return base::Status::Ok();
}

base::Status Agent::Impl::StartNew() {
  ASSIGN_OR_RETURN(writer, opt.store->Create(*opt.context, {.name = opt.session_name,
                                                              .title = {},
                                                              .repo = opt.repo,
                                                              .model_path = opt.model_path}));
  session_id = writer->info().id;
  SessionSettings s;
  s.system_prompt = opt.system_prompt.empty() ? std::string(DefaultSystemPrompt()) : opt.system_prompt;
  s.tools = ToolList(tools);
  const std::string source = opt.context->model().ChatTemplateSource();
  s.syntax = opt.tool_syntax.value_or(DetectSyntax(source.empty() ? DefaultChatTemplate() : source));
  s.tool_choice = ChoiceName(opt.tool_choice);
  s.created_unix_micros = NowMicros();
  ASSIGN_OR_RETURN(PromptRenderer r, PromptRenderer::Create(opt.context->model(), s));
  // Templates without a tool role (Gemma) refuse one; results then go in
  // user messages.
  const nlohmann::json probe = nlohmann::json::array(
      {{{"role", "user"}, {"content", "x"}}, {{"role", "assistant"}, {"content", "y"}},
       ToolMessage("tool", "c00000001", "read_file", "z")});
  nlohmann::json started = s.ToJson();
  started["tool_role"] = r.Render(probe, true).ok() ? "tool" : "user";
  started["model_path"] = opt.model_path;
  started["repo"] = opt.repo;
  renderer = std::move(r);
  RETURN_IF_ERROR(Log(kEvSessionStarted, started));
  // The baseline: what the repository looked like before the agent.
  file_checkpoints = opt.file_checkpoints;
  std::string files_note;
  if (file_checkpoints) {
    auto snap = tools::git::Snapshot(opt.repo, session_id, 0);
    file_checkpoints = snap.ok();
    if (snap.ok()) RETURN_IF_ERROR(Log(kEvFilesCheckpoint, {{"step", 0}, {"commit", snap->commit}, {"changed", true}}));
    else files_note = snap.status().message();
  }
  Emit(Event::Kind::kSessionStarted, {{"session_id", session_id},
                                      {"name", writer->info().name},
                                      {"resumed", false},
                                      {"repo", opt.repo},
                                      {"file_checkpoints", file_checkpoints},
                                      {"file_checkpoints_note", files_note},
                                      {"tool_syntax", SyntaxName(s.syntax)},
                                      {"tools", s.tools.size()}});
  return base::Status::Ok();
}

base::Status Agent::Impl::Resume() {
  ASSIGN_OR_RETURN(sessions::SessionInfo info, opt.store->Find(opt.resume));
  ASSIGN_OR_RETURN(writer, opt.store->OpenWriter(info.id));
  session_id = info.id;
  ASSIGN_OR_RETURN(std::vector<sessions::Event> log, opt.store->Events(info.id));
  if (log.empty() || log.front().kind != kEvSessionStarted) {
    return base::FailedPrecondition("session " + info.id +
                                    " is not an agent session (it was made by `generate`); continue it there");
  }
  for (const sessions::Event& e : log) {
    const auto payload = nlohmann::json::parse(e.payload, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded()) return base::Corruption("event " + std::to_string(e.seq) + " is not JSON");
    RETURN_IF_ERROR(conv.Apply(e.kind, payload));
  }
  ASSIGN_OR_RETURN(SessionSettings s, SessionSettings::FromJson(conv.settings()));
  ASSIGN_OR_RETURN(PromptRenderer r, PromptRenderer::Create(opt.context->model(), s));
  renderer = std::move(r);

  ASSIGN_OR_RETURN(sessions::RestoredSession restored, writer->Restore(opt.context.get()));
  head_checkpoint = restored.checkpoint_id;
  if (restored.checkpoint_id != 0) picker->set_rng_state(restored.sampler.rng);
  RETURN_IF_ERROR(RebuildTranscript(restored.history));
  const auto file_steps =
      opt.file_checkpoints ? tools::git::ListCheckpoints(opt.repo, session_id)
                           : base::Result<std::vector<tools::git::Checkpoint>>(base::FailedPrecondition("off"));
  file_checkpoints = file_steps.ok();
  if (file_checkpoints && file_steps->empty()) {
    // A fork (or a session from before file checkpoints): a baseline now.
    RETURN_IF_ERROR(SnapshotFiles(conv.files_step() + 1));
  }
  nlohmann::json data = {{"session_id", session_id},
                         {"file_checkpoints", file_checkpoints},
                         {"name", info.name},
                         {"resumed", true},
                         {"repo", opt.repo},
                         {"checkpoint_id", restored.checkpoint_id},
                         {"restored_tokens", restored.history.size()},
                         {"restore_ms", restored.seconds * 1e3},
                         {"blocks_loaded", restored.blocks_loaded},
                         {"bytes_read", restored.bytes_read},
                         {"messages", conv.messages().size()},
                         {"tool_syntax", SyntaxName(s.syntax)},
                         {"tools", s.tools.size()}};
  if (opt.reprefill_context && !restored.history.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(opt.reprefill_context->Eval(restored.history));
    data["reprefill_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    opt.reprefill_context.reset();
  }
  Emit(Event::Kind::kSessionStarted, std::move(data));

  // Calls that were running when the session stopped get an answer now.
  const auto pending = conv.pending_calls();
  for (const auto& [id, call] : pending) {
    RETURN_IF_ERROR(Log(kEvToolResult, {{"id", id},
                                        {"name", call.name},
                                        {"is_error", true},
                                        {"interrupted", true},
                                        {"text",
                                         "interrupted: the session stopped while this tool was running, so it "
                                         "may have partly run. Check its effects before running it again."}}));
  }
  return AnnounceChanges();
}

// The cache holds the render up to the reply that ended at the restored
// position, plus that reply; anything else (a template that renders
// differently now) falls back to prefilling the conversation again.
base::Status Agent::Impl::RebuildTranscript(const std::vector<int32_t>& history) {
  if (history.empty()) {
    transcript->Clear();
    return base::Status::Ok();
  }
  for (auto it = conv.replies().rbegin(); it != conv.replies().rend(); ++it) {
    if (it->n_past_after != static_cast<int64_t>(history.size())) continue;
    const nlohmann::json& msgs = conv.messages();
    const nlohmann::json before(msgs.begin(), msgs.begin() + static_cast<std::ptrdiff_t>(it->message_index));
    ASSIGN_OR_RETURN(std::string text, renderer->Render(before, /*add_generation_prompt=*/true));
    if (text.size() != it->prompt_bytes) break;
    text += msgs[it->message_index]["content"].get<std::string>() + it->tail;
    if (base::Hash64(text) != it->consumed_hash) break;
    transcript->Adopt(history, std::move(text), {it->prompt_tokens, static_cast<size_t>(it->prompt_bytes)});
    return base::Status::Ok();
  }
  Emit(Event::Kind::kError, {{"message",
                              "the restored cache does not match the conversation as rendered now; the "
                              "conversation is prefilled again"},
                             {"fatal", false}});
  transcript->Clear();
  return base::Status::Ok();
}

// Tools added or removed since the session started are told to the model
// in a new message; the prefix it already holds is never re-rendered.
base::Status Agent::Impl::AnnounceChanges() {
  const nlohmann::json now = ToolList(tools);
  const nlohmann::json& then = renderer->settings().tools;
  if (now == then) return base::Status::Ok();
  std::vector<std::string> added, removed;
  auto names = [](const nlohmann::json& list) {
    std::map<std::string, nlohmann::json> m;
    for (const auto& t : list) m[t["name"]] = t;
    return m;
  };
  const auto a = names(now), b = names(then);
  std::string text = "[longhaul] The available tools changed since this session started.";
  for (const auto& [n, t] : a) {
    if (!b.contains(n)) text += "\nAdded: " + t.dump();
    else if (b.at(n) != t) text += "\nChanged: " + t.dump();
  }
  for (const auto& [n, t] : b) {
    if (!a.contains(n)) text += "\nRemoved: " + n + " (do not call it)";
  }
  return Log(kEvNotice, {{"text", text}, {"tools", now}});
}

}  // namespace agent
