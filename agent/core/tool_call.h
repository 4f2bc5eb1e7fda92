// Tool calls in a model's reply: where they open, and what they say.
//
// Hermes / Qwen: <tool_call>{"name": ..., "arguments": {...}}</tool_call>,
// any number per reply. Llama 3.x JSON: the reply is one JSON object
// {"name": ..., "parameters": {...}}, optionally after <|python_tag|>.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/constrained.h"

namespace agent {

inline constexpr std::string_view kHermesOpen = "<tool_call>";
inline constexpr std::string_view kHermesClose = "</tool_call>";
inline constexpr std::string_view kPythonTag = "<|python_tag|>";

// A call's text as found in a reply; `framing_error` is set when the call
// opened but never closed.
struct CallText {
  std::string json;
  std::string framing_error;
};

// Every call in a finished reply, in order. Empty: the reply calls nothing.
std::vector<CallText> FindToolCalls(std::string_view reply, engine::ToolCallSyntax syntax);

// True when `text` (the reply so far) has just opened a call, so the rest
// must be constrained. For Llama 3 JSON that is the reply's first '{'.
bool CallJustOpened(std::string_view text, engine::ToolCallSyntax syntax);

struct ParsedCall {
  std::string name;
  nlohmann::json arguments;  // an object
};

// Errors (InvalidArgument) are written for the model: what was wrong and
// what a valid call looks like.
base::Result<ParsedCall> ParseToolCall(std::string_view json_text, engine::ToolCallSyntax syntax);

}  // namespace agent
