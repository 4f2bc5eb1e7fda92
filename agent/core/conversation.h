// The conversation of one session, rebuilt from its event log.
//
// The live loop and a resume go through the same Apply(): every event the
// agent writes is applied to the Conversation right after it is committed,
// and a resume applies the logged events in order. What a resumed session
// believes is therefore exactly what the running one believed.
//
// Threading: one thread uses a Conversation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace agent {

// Event kinds in the session log.
inline constexpr const char* kEvSessionStarted = "session_started";
inline constexpr const char* kEvUserMessage = "user_message";
inline constexpr const char* kEvAssistantMessage = "assistant_message";
inline constexpr const char* kEvToolCall = "tool_call";
inline constexpr const char* kEvToolResult = "tool_result";
inline constexpr const char* kEvNotice = "notice";  // settings changed after a resume
inline constexpr const char* kEvUndo = "undo";
inline constexpr const char* kEvFilesCheckpoint = "files_checkpoint";  // a git snapshot of the repo

// Where a reply ended in the KV cache: what a resume needs to know which
// text the restored tokens hold.
struct ReplyMark {
  size_t message_index = 0;     // the assistant message
  int64_t n_past_after = 0;     // tokens in the cache after the reply
  int64_t prompt_tokens = 0;    // tokens before the reply (a safe boundary)
  uint64_t prompt_bytes = 0;    // bytes of the render those tokens hold
  std::string tail;             // consumed text after the reply text (end-of-turn token)
  uint64_t consumed_hash = 0;   // base::Hash64 of all text the cache holds
};

struct UserMark {
  size_t message_index = 0;
  int64_t checkpoint_before = 0;  // the head when the message arrived (0: none)
  int64_t files_step_before = -1;  // the latest file checkpoint then (-1: none)
};

struct PendingCall {
  std::string id, name;
};

class Conversation {
 public:
  // Applies one logged event. Corruption for a malformed payload.
  base::Status Apply(const std::string& kind, const nlohmann::json& payload);

  // The messages to render, without the system message.
  const nlohmann::json& messages() const { return messages_; }
  const std::vector<ReplyMark>& replies() const { return replies_; }
  const std::vector<UserMark>& users() const { return users_; }
  // Calls logged without a result: the session stopped while they ran.
  const std::map<std::string, PendingCall>& pending_calls() const { return pending_; }
  // The whole output of an earlier tool result (read_output).
  std::optional<std::string> Output(const std::string& id) const;
  const nlohmann::json& settings() const { return settings_; }
  int64_t n_calls() const { return n_calls_; }
  // The latest file checkpoint step (-1: none yet).
  int64_t files_step() const { return files_step_; }
  // "user" for templates without a tool role (their results are wrapped).
  const std::string& tool_role() const { return tool_role_; }
  // Paths the session's tool calls named, most recent first (at most
  // kMaxTouchedFiles): ToolContext::touched_files.
  const std::vector<std::string>& touched_files() const { return touched_files_; }
  static constexpr size_t kMaxTouchedFiles = 32;

 private:
  base::Status ApplyChecked(const std::string& kind, const nlohmann::json& payload);
  void NoteTouched(const nlohmann::json& call);

  nlohmann::json messages_ = nlohmann::json::array();
  nlohmann::json settings_;
  std::vector<ReplyMark> replies_;
  std::vector<UserMark> users_;
  std::map<std::string, PendingCall> pending_;
  std::map<std::string, std::string> outputs_;
  int64_t n_calls_ = 0;
  int64_t files_step_ = -1;
  std::string tool_role_ = "tool";
  std::vector<std::string> touched_files_;
};

// A tool result as a message for the template.
nlohmann::json ToolMessage(const std::string& role, const std::string& id, const std::string& name,
                           const std::string& text);

}  // namespace agent
