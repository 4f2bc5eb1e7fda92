// agent/: the agent loop (DESIGN.md sections 2 and 6) as a queue pair.
//
// A front end (the REPL, headless --json, tests) submits operations and
// reads events. One owning thread runs the session: it renders new
// messages with the model's chat template, prefills only the new tokens,
// decodes the reply (grammar-constrained once a tool call opens), runs the
// tool, and checkpoints the session after every step.
//
//   ASSIGN_OR_RETURN(auto agent, agent::Agent::Start(options));
//   agent->Submit(agent::Op::User("fix the failing test"));
//   while (auto event = agent->NextEvent()) { ... until kTurnDone ... }
//
// The event log is written before a tool runs (tool_call) and after
// (tool_result), one transaction per event. A session killed mid-tool
// resumes with that call answered as interrupted, and the model is told.
//
// The rendered prefix is stable: the system prompt, the tool list and the
// template variables are fixed when the session starts and stored in its
// first event, so a resumed session renders byte-identically to what its
// KV cache holds. Tools or settings that change later are announced in a
// new message; the old prefix is never re-rendered.
//
// Threading: Submit, Interrupt and NextEvent may be called from any thread
// (typically one front-end thread plus a signal-watching one). Everything
// else runs on the agent's own thread. Destroying the Agent quits the
// session (interrupting a running turn) and joins the thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/constrained.h"
#include "engine/engine.h"
#include "sessions/store.h"
#include "tools/tool.h"

namespace agent {

// Picks each token of a reply. The engine's sampler is the default; tests
// script canned replies behind this seam (DESIGN.md section 7).
class TokenPicker {
 public:
  virtual ~TokenPicker() = default;
  // `logits` are already masked when a constraint is active (-inf for
  // forbidden tokens). `history` is every token the context holds.
  virtual int32_t Pick(std::span<float> logits, std::span<const int32_t> history) = 0;
  // Called when a reply starts, with the number of replies before it.
  virtual void BeginReply(int64_t /*reply_index*/) {}
  virtual std::array<uint64_t, 4> rng_state() const { return {}; }
  virtual void set_rng_state(const std::array<uint64_t, 4>& /*state*/) {}
};

enum class ToolChoice {
  kAuto,      // the model decides whether to call a tool
  kRequired,  // every reply opens a tool call (useful for small models)
  kNone,      // tools are described but calls are not parsed
};

enum class ApprovalMode { kAuto, kAsk };

struct AgentOptions {
  // Required: a context of the model (owned by the agent from Start on),
  // an open store, and the repository the tools work in.
  std::unique_ptr<engine::Context> context;
  sessions::Store* store = nullptr;
  std::string repo;  // made canonical by Start

  // Session: resume this one (name or id) if set, else create a new one.
  std::string resume;
  std::string session_name;  // for a new session
  std::string model_path;

  std::string system_prompt;  // empty: the built-in one
  std::vector<std::shared_ptr<const tools::Tool>> tools;  // empty: tools::BuiltinTools()
  std::optional<engine::ToolCallSyntax> tool_syntax;      // default: detected from the template
  ToolChoice tool_choice = ToolChoice::kAuto;
  ApprovalMode approval = ApprovalMode::kAuto;
  engine::SamplerParams sampling;
  std::shared_ptr<TokenPicker> picker;  // null: engine::Sampler with `sampling`
  tools::ToolLimits tool_limits;
  bool allow_degraded_sandbox = false;
  // Snapshot the repository's files (git repositories only) at the start
  // and after every step that ran a mutating tool, under
  // refs/longhaul/<session>/<step>; undo then restores the files too.
  bool file_checkpoints = true;
  std::string helper_binary;  // the longhaul binary for the sandbox helper

  // On a resume, the restored tokens are also prefilled into this context
  // and the time reported beside the restore time (session_started's
  // reprefill_ms). Null: not measured.
  std::unique_ptr<engine::Context> reprefill_context;

  int max_steps = 20;             // model replies per user message
  int max_reply_tokens = 1024;    // per reply
  engine::JsonGrammarOptions grammar;
};

// What the front end asks for.
struct Op {
  // kUndo: back to before the last user message. kRewind: back to before
  // user message `turn` (1-based, as turns_listed counts them): its KV
  // checkpoint, its messages and, with file checkpoints, its files.
  enum class Kind { kUserMessage, kInterrupt, kFork, kUndo, kRewind, kApprove, kQuit };
  Kind kind = Kind::kQuit;
  std::string text;      // kUserMessage
  bool approved = false;  // kApprove: the answer to an approval_needed event
  int64_t turn = 0;       // kRewind

  static Op User(std::string text) { return {Kind::kUserMessage, std::move(text), false, 0}; }
  static Op Of(Kind kind) { return {kind, {}, false, 0}; }
  static Op Rewind(int64_t turn) { return {Kind::kRewind, {}, false, turn}; }
};

// What the agent reports. `data` holds the kind's fields (see agent.cc).
struct Event {
  enum class Kind {
    kSessionStarted,   // {session_id, name, resumed, restored_tokens, restore_ms, ...}
    kPrefillProgress,  // {done, total}
    kToken,            // {text}
    kToolCall,         // {id, name, arguments}
    kApprovalNeeded,   // {id, name, arguments}: answer with Op kApprove
    kToolResult,       // {id, name, is_error, text, truncated}
    kCheckpoint,       // {checkpoint_id, n_past, bytes_written, ms, hot_kv_bytes, disk_kv_bytes}
    kForked,           // {session_id}
    kUndone,           // {n_past, messages}
    kError,            // {message, fatal}
    kTurnDone,         // {reason: "done"|"max_steps"|"interrupted"|"error", steps}
    kClosed,           // the agent thread has stopped; no more events
  };
  Kind kind = Kind::kError;
  nlohmann::json data;
};

// "session_started", "prefill_progress", ... (the --json "type" field).
const char* EventKindName(Event::Kind kind);

class Agent {
 public:
  // Opens or resumes the session (on the caller's thread, so errors such as
  // a busy session or a refused checkpoint come back here), then starts the
  // owning thread. The first event is kSessionStarted.
  static base::Result<std::unique_ptr<Agent>> Start(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  void Submit(Op op);
  // Ends the running reply at the next token (as Op kInterrupt), from any
  // thread, including a signal-watching one.
  void Interrupt();
  // Blocks until an event arrives; nullopt after kClosed was delivered, or
  // when `timeout` passes with nothing new.
  std::optional<Event> NextEvent(std::chrono::milliseconds timeout = std::chrono::hours(24));

  const std::string& session_id() const;

 private:
  struct Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace agent
