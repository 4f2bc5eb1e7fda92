// The agent's private state, shared by agent.cc (queue pair, thread),
// agent_start.cc (create / resume) and agent_turn.cc (one turn).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/agent.h"
#include "agent/core/conversation.h"
#include "agent/core/prompt.h"
#include "agent/core/transcript.h"

namespace agent {

struct Agent::Impl {
  AgentOptions opt;
  std::unique_ptr<sessions::SessionWriter> writer;
  std::optional<PromptRenderer> renderer;
  Conversation conv;
  std::unique_ptr<Transcript> transcript;
  std::map<std::string, std::shared_ptr<const tools::Tool>> tools;  // by name
  std::unique_ptr<engine::TokenConstraint> constraint;
  std::shared_ptr<TokenPicker> picker;
  std::string session_id;
  int64_t head_checkpoint = 0;
  uint64_t disk_bytes_written = 0;  // by this process's checkpoints
  double last_tok_per_s = 0;        // decode speed of the last reply
  // File checkpoints (refs/longhaul/<session>/<step>): off when the
  // repository is not a git work tree. files_step is the latest one.
  bool file_checkpoints = false;
  int64_t files_step = -1;

  std::mutex mu;
  std::condition_variable ops_cv, events_cv;
  std::deque<Op> ops;
  std::deque<Event> events;
  bool closed = false;          // kClosed was queued
  bool delivered_closed = false;
  std::atomic<bool> interrupt{false};
  std::thread thread;

  // agent.cc
  void Emit(Event::Kind kind, nlohmann::json data);
  Op WaitOp();
  void Loop();

  // agent_start.cc
  base::Status Open();
  base::Status StartNew();
  base::Status Resume();
  base::Status RebuildTranscript(const std::vector<int32_t>& history);
  base::Status AnnounceChanges();

  // agent_turn.cc
  base::Status Log(const char* kind, const nlohmann::json& payload);  // write, then apply
  void RunTurn(const std::string& text);
  base::Result<bool> Step();  // one reply and its calls; true: the turn goes on
  // Logs, runs and answers one call; true when it ran a mutating tool.
  base::Result<bool> RunCall(const std::string& call_json, const std::string& framing_error);
  base::Result<tools::ToolResult> Dispatch(const std::string& id, const std::string& name,
                                           const nlohmann::json& args);
  base::Status Checkpoint();
  // Snapshots the working tree as file step `step` (logged); a no-op
  // without git.
  base::Status SnapshotFiles(int64_t step);
  void Fork();
  // Back to before user message `turn` (1-based); 0: the last one.
  void Undo(int64_t turn);
};

}  // namespace agent
