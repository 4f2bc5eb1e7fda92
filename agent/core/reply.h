// Decoding one assistant reply, token by token, into a Transcript.
//
// Free text is sampled as the picker likes. Once the reply opens a tool
// call (agent/core/tool_call.h), the TokenConstraint masks every token
// that would not keep the call valid JSON for one declared tool, and the
// reply ends as soon as the call is complete: one call per step, and the
// next step shows the model its result.
//
// Threading: runs on the agent's thread; `interrupt` may be set from any.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "agent/agent.h"
#include "agent/core/transcript.h"
#include "base/status.h"
#include "engine/constrained.h"

namespace agent {

struct ReplyRequest {
  Transcript* transcript = nullptr;
  TokenPicker* picker = nullptr;
  // Null: calls are not constrained (tool_choice none, or no tools).
  engine::TokenConstraint* constraint = nullptr;
  engine::ToolCallSyntax syntax = engine::ToolCallSyntax::kHermes;
  std::string forced_prefix;  // evaluated as if sampled (tool_choice required)
  int max_tokens = 1024;
  const std::atomic<bool>* interrupt = nullptr;
  std::function<void(std::string_view)> on_text;  // streamed visible text
};

struct Reply {
  std::string text;      // the reply as the conversation records it
  // Every evaluated piece, special tokens spelled: what the cache holds. The
  // end-of-turn token is never evaluated (the next render supplies the
  // template's own), so this equals `text`; a resume checks it by hash.
  std::string consumed;
  int64_t tokens = 0;
  // "end_of_turn", "tool_call", "length", "interrupted", "context_full"
  std::string finish;
};

base::Result<Reply> GenerateReply(const ReplyRequest& request);

}  // namespace agent
