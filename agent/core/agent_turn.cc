// One turn: steps of render, prefill, reply, tool, checkpoint.
#include <chrono>
#include <cstdio>

#include "agent/core/agent_impl.h"
#include "agent/core/reply.h"
#include "agent/core/tool_call.h"
#include "base/hash.h"
#include "tools/git_checkpoints.h"

namespace agent {
namespace {

std::string CallId(int64_t n) {
  // Nine alphanumerics: what Mistral's templates insist on.
  char id[16];
  std::snprintf(id, sizeof id, "c%08lld", static_cast<long long>(n % 100000000));
  return id;
}

}  // namespace

base::Status Agent::Impl::Log(const char* kind, const nlohmann::json& payload) {
  RETURN_IF_ERROR(writer->AppendEvent(kind, payload.dump()));
  return conv.Apply(kind, payload);
}

void Agent::Impl::RunTurn(const std::string& text) {
  interrupt = false;
  const auto fail = [&](const base::Status& s, int steps) {
    Emit(Event::Kind::kError, {{"message", s.ToString()}, {"fatal", false}});
    Emit(Event::Kind::kTurnDone, {{"reason", "error"}, {"steps", steps}});
  };
  const nlohmann::json message = {
      {"text", text}, {"checkpoint_before", head_checkpoint}, {"files_step_before", conv.files_step()}};
  if (base::Status s = Log(kEvUserMessage, message); !s.ok()) {
    fail(s, 0);
    return;
  }
  for (int step = 1; step <= opt.max_steps; ++step) {
    auto more = Step();
    if (!more.ok()) {
      fail(more.status(), step);
      return;
    }
    if (interrupt) {
      Emit(Event::Kind::kTurnDone, {{"reason", "interrupted"}, {"steps", step}});
      return;
    }
    if (!*more) {
      Emit(Event::Kind::kTurnDone, {{"reason", "done"}, {"steps", step}});
      return;
    }
  }
  Emit(Event::Kind::kTurnDone, {{"reason", "max_steps"}, {"steps", opt.max_steps}});
}

base::Result<bool> Agent::Impl::Step() {
  ASSIGN_OR_RETURN(const std::string rendered, renderer->Render(conv.messages(), /*add_generation_prompt=*/true));
  auto synced = transcript->Sync(
      rendered, [&](int64_t done, int64_t total) { Emit(Event::Kind::kPrefillProgress, {{"done", done}, {"total", total}}); },
      &interrupt);
  if (!synced.ok()) {
    if (synced.status().code() == base::StatusCode::kCancelled) return false;
    return synced.status();
  }
  const auto prompt_tokens = static_cast<int64_t>(transcript->tokens().size());
  const size_t prompt_bytes = transcript->text().size();

  const SessionSettings& s = renderer->settings();
  ReplyRequest req;
  req.transcript = transcript.get();
  req.picker = picker.get();
  req.constraint = constraint.get();
  req.syntax = s.syntax;
  if (constraint && s.tool_choice == "required") {
    req.forced_prefix = s.syntax == engine::ToolCallSyntax::kHermes ? std::string(kHermesOpen) : "{";
  }
  req.max_tokens = opt.max_reply_tokens;
  req.interrupt = &interrupt;
  req.on_text = [&](std::string_view piece) { Emit(Event::Kind::kToken, {{"text", std::string(piece)}}); };
  picker->BeginReply(static_cast<int64_t>(conv.replies().size()));
  const auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(Reply reply, GenerateReply(req));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  last_tok_per_s = reply.tokens / std::max(seconds, 1e-9);
  const std::string& consumed = transcript->text();
  RETURN_IF_ERROR(Log(kEvAssistantMessage,
                      {{"text", reply.text},
                       {"finish", reply.finish},
                       {"tokens", reply.tokens},
                       {"tok_per_s", last_tok_per_s},
                       {"n_past_after", transcript->tokens().size()},
                       {"prompt_tokens", prompt_tokens},
                       {"prompt_bytes", prompt_bytes},
                       {"prefilled_tokens", synced->prefilled_tokens},
                       {"reused_tokens", synced->reused_tokens},
                       {"truncated_tokens", synced->truncated_tokens},
                       {"tail", reply.consumed.substr(std::min(reply.text.size(), reply.consumed.size()))},
                       {"consumed_hash", base::Hash64(consumed)}}));

  std::vector<CallText> calls;
  if (s.tool_choice != "none" && reply.finish != "interrupted") calls = FindToolCalls(reply.text, s.syntax);
  bool mutated = false;
  for (const CallText& call : calls) {
    if (interrupt) break;
    ASSIGN_OR_RETURN(const bool ran_mutating, RunCall(call.json, call.framing_error));
    mutated = mutated || ran_mutating;
  }
  if (mutated) RETURN_IF_ERROR(SnapshotFiles(conv.files_step() + 1));
  RETURN_IF_ERROR(Checkpoint());
  return !calls.empty() && !interrupt;
}

base::Result<bool> Agent::Impl::RunCall(const std::string& call_json, const std::string& framing_error) {
  const std::string id = CallId(conv.n_calls() + 1);
  const engine::ToolCallSyntax syntax = renderer->settings().syntax;
  auto parsed = framing_error.empty() ? ParseToolCall(call_json, syntax) : base::InvalidArgument(framing_error);
  const std::string name = parsed.ok() ? parsed->name : "";
  const nlohmann::json args = parsed.ok() ? parsed->arguments : nlohmann::json();
  // Logged before the tool runs: a crash mid-tool leaves a call without a
  // result, which the resume answers as interrupted.
  RETURN_IF_ERROR(Log(kEvToolCall, {{"id", id}, {"name", name}, {"arguments", args}, {"raw", call_json}}));
  Emit(Event::Kind::kToolCall, {{"id", id}, {"name", name}, {"arguments", args}, {"valid", parsed.ok()}});

  tools::ToolResult result;
  if (!parsed.ok()) {
    result.is_error = true;
    result.text = "error: " + parsed.status().message();
  } else {
    ASSIGN_OR_RETURN(result, Dispatch(id, name, args));
  }
  if (result.full_output.empty()) result.full_output = result.text;
  RETURN_IF_ERROR(Log(kEvToolResult, {{"id", id},
                                      {"name", name},
                                      {"is_error", result.is_error},
                                      {"text", result.text},
                                      {"full_output", result.full_output},
                                      {"truncated", result.truncated},
                                      {"details", result.details}}));
  Emit(Event::Kind::kToolResult, {{"id", id},
                                  {"name", name},
                                  {"is_error", result.is_error},
                                  {"text", result.text},
                                  {"truncated", result.truncated}});
  const auto tool = parsed.ok() ? tools.find(name) : tools.end();
  return tool != tools.end() && tool->second->is_mutating();
}

base::Result<tools::ToolResult> Agent::Impl::Dispatch(const std::string& id, const std::string& name,
                                                      const nlohmann::json& args) {
  tools::ToolResult denied;
  denied.is_error = true;
  auto it = tools.find(name);
  if (it == tools.end()) {
    denied.text = "error: unknown tool '" + name + "'. Available tools:";
    for (const auto& [n, t] : tools) denied.text += " " + n;
    return denied;
  }
  const tools::Tool& tool = *it->second;
  if (tool.is_mutating() && opt.approval == ApprovalMode::kAsk) {
    Emit(Event::Kind::kApprovalNeeded, {{"id", id}, {"name", name}, {"arguments", args}});
    std::deque<Op> deferred;
    bool approved = false;
    for (;;) {
      Op op = WaitOp();
      if (op.kind == Op::Kind::kApprove) {
        approved = op.approved;
        break;
      }
      if (op.kind == Op::Kind::kInterrupt || op.kind == Op::Kind::kQuit) {
        if (op.kind == Op::Kind::kQuit) deferred.push_back(op);
        break;
      }
      deferred.push_back(std::move(op));
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      ops.insert(ops.begin(), deferred.begin(), deferred.end());
    }
    if (!approved) {
      denied.text = "error: the user did not approve this call to " + name + "; ask or try something else";
      return denied;
    }
  }
  tools::ToolContext ctx;
  ctx.repo_root = opt.repo;
  ctx.limits = opt.tool_limits;
  ctx.allow_degraded_sandbox = opt.allow_degraded_sandbox;
  ctx.helper_binary = opt.helper_binary;
  ctx.output_id = id;
  ctx.touched_files = conv.touched_files();
  ctx.lookup_output = [this](std::string_view output_id) -> base::Result<std::string> {
    auto out = conv.Output(std::string(output_id));
    if (!out) return base::NotFound("no tool output with id '" + std::string(output_id) + "'");
    return *out;
  };
  return tool.Run(args, ctx);
}

base::Status Agent::Impl::Checkpoint() {
  ASSIGN_OR_RETURN(sessions::CheckpointStats st,
                   writer->Checkpoint(*opt.context, transcript->tokens(), {picker->rng_state()}));
  head_checkpoint = st.checkpoint_id;
  disk_bytes_written += st.bytes_written;
  Emit(Event::Kind::kCheckpoint, {{"checkpoint_id", st.checkpoint_id},
                                  {"n_past", st.n_past},
                                  {"new_blocks", st.new_blocks},
                                  {"bytes_written", st.bytes_written},
                                  {"ms", st.seconds * 1e3},
                                  {"hot_kv_bytes", opt.context->kv_bytes()},
                                  {"disk_bytes_written", disk_bytes_written},
                                  {"tok_per_s", last_tok_per_s}});
  return base::Status::Ok();
}

base::Status Agent::Impl::SnapshotFiles(int64_t step) {
  if (!file_checkpoints) return base::Status::Ok();
  auto snap = tools::git::Snapshot(opt.repo, session_id, static_cast<uint64_t>(step));
  if (!snap.ok()) {
    // The session goes on without file checkpoints rather than stopping.
    file_checkpoints = false;
    Emit(Event::Kind::kError,
         {{"message", "file checkpoints are off from here: " + snap.status().ToString()}, {"fatal", false}});
    return base::Status::Ok();
  }
  return Log(kEvFilesCheckpoint, {{"step", step}, {"commit", snap->commit}, {"changed", snap->changed}});
}

void Agent::Impl::Fork() {
  auto forked = opt.store->Fork(session_id, {});
  if (!forked.ok()) {
    Emit(Event::Kind::kError, {{"message", forked.status().ToString()}, {"fatal", false}});
    return;
  }
  Emit(Event::Kind::kForked, {{"session_id", forked->id}, {"checkpoint_id", forked->head_checkpoint}});
}

// Back to the state before a user message (the last one, or `turn`): its
// KV checkpoint, its messages, its files. The undo itself is logged, so a
// resume replays it.
void Agent::Impl::Undo(int64_t turn) {
  auto run = [&]() -> base::Status {
    const auto& users = conv.users();
    if (users.empty()) return base::FailedPrecondition("nothing to undo");
    if (turn < 0 || turn > static_cast<int64_t>(users.size())) {
      return base::InvalidArgument("no user message " + std::to_string(turn) + " to rewind to (this session has " +
                                   std::to_string(users.size()) + ")");
    }
    const UserMark mark = turn == 0 ? users.back() : users[static_cast<size_t>(turn - 1)];
    std::vector<int32_t> history;
    if (mark.checkpoint_before != 0) {
      // Through the writer, so the next checkpoint knows which blocks the
      // context now holds rather than re-exporting the whole session.
      ASSIGN_OR_RETURN(sessions::RestoredSession r, writer->RestoreAt(mark.checkpoint_before, opt.context.get()));
      picker->set_rng_state(r.sampler.rng);
      history = std::move(r.history);
    } else {
      opt.context->Truncate(0);
    }
    if (file_checkpoints && mark.files_step_before >= 0 && conv.files_step() > mark.files_step_before) {
      base::Status files = tools::git::Restore(opt.repo, session_id, static_cast<uint64_t>(mark.files_step_before));
      // A fork has no file checkpoints from before it was made: the
      // conversation is still undone, and the user is told about the files.
      if (files.code() == base::StatusCode::kNotFound) {
        Emit(Event::Kind::kError, {{"message", "files not restored: " + files.message()}, {"fatal", false}});
      } else {
        RETURN_IF_ERROR(files);
      }
    }
    RETURN_IF_ERROR(Log(kEvUndo, {{"keep_messages", mark.message_index}, {"files_step", mark.files_step_before}}));
    RETURN_IF_ERROR(RebuildTranscript(history));
    RETURN_IF_ERROR(Checkpoint());
    Emit(Event::Kind::kUndone, {{"n_past", transcript->tokens().size()},
                                {"messages", conv.messages().size()},
                                {"files_step", mark.files_step_before}});
    return base::Status::Ok();
  };
  if (base::Status s = run(); !s.ok()) Emit(Event::Kind::kError, {{"message", s.ToString()}, {"fatal", false}});
}

}  // namespace agent
