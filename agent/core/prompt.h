// Prompt rendering for one session: the model's chat template over the
// conversation, with a prefix that never changes once the session starts.
//
// SessionSettings is frozen at session start and stored in the first
// event; every later render (in this process or after a resume) uses it,
// so the rendered prefix is byte-identical to what the KV cache holds.
// Templates that do not render `tools` themselves get the tool list in
// the system message, in the format the tool-call syntax expects.
//
// Threading: immutable after Create; Render may run from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "engine/chat.h"
#include "engine/constrained.h"
#include "engine/engine.h"

namespace agent {

struct SessionSettings {
  std::string system_prompt;
  // [{"name", "description", "parameters"}], sorted by name.
  nlohmann::json tools = nlohmann::json::array();
  engine::ToolCallSyntax syntax = engine::ToolCallSyntax::kHermes;
  std::string tool_choice = "auto";  // "auto" | "required" | "none"
  int64_t created_unix_micros = 0;   // strftime_now renders this instant

  nlohmann::json ToJson() const;
  static base::Result<SessionSettings> FromJson(const nlohmann::json& j);
};

// "hermes" / "llama3_json", and back.
const char* SyntaxName(engine::ToolCallSyntax syntax);
base::Result<engine::ToolCallSyntax> ParseSyntaxName(std::string_view name);
// The syntax a template expects: Llama 3.x JSON when it speaks of ipython or
// <|python_tag|>, else Hermes (<tool_call>...</tool_call>).
engine::ToolCallSyntax DetectSyntax(std::string_view template_source);

// ChatML, for models whose file carries no template.
std::string_view DefaultChatTemplate();
// The built-in system prompt (no dates, no paths: the prefix must be stable).
std::string_view DefaultSystemPrompt();

class PromptRenderer {
 public:
  static base::Result<PromptRenderer> Create(const engine::Model& model, const SessionSettings& settings);

  // The whole conversation (messages without the system one) as text.
  base::Result<std::string> Render(const nlohmann::json& messages, bool add_generation_prompt) const;

  const SessionSettings& settings() const { return *settings_; }
  bool template_renders_tools() const { return template_renders_tools_; }

 private:
  PromptRenderer() = default;
  std::optional<engine::ChatTemplate> template_;
  std::shared_ptr<const SessionSettings> settings_;
  std::shared_ptr<const base::Clock> clock_;  // frozen at created_unix_micros
  std::string system_text_;
  std::string bos_text_, eos_text_;
  bool template_renders_tools_ = false;
};

}  // namespace agent
