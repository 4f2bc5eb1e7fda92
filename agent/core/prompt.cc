#include "agent/core/prompt.h"

#include <algorithm>

namespace agent {
namespace {

// strftime_now must render the session's start, not "now": a template that
// prints today's date would otherwise change the prefix every day.
class FrozenClock final : public base::Clock {
 public:
  explicit FrozenClock(int64_t micros) : micros_(micros) {}
  int64_t NowMicros() const override { return micros_; }
  int64_t MonotonicNanos() const override { return micros_ * 1000; }
  void SleepForMicros(int64_t) override {}

 private:
  int64_t micros_;
};

constexpr std::string_view kChatMl =
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

constexpr std::string_view kSystemPrompt =
    "You are longhaul, a coding agent working in a software repository. Use the tools to read, "
    "search and edit files and to run commands; paths are relative to the repository root. Make "
    "small, careful changes, run the tests when you change code, and say briefly what you did "
    "when the task is finished.";

nlohmann::json OpenAiTools(const nlohmann::json& tools) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tools) {
    out.push_back({{"type", "function"},
                   {"function",
                    {{"name", t.at("name")}, {"description", t.at("description")}, {"parameters", t.at("parameters")}}}});
  }
  return out;
}

// The tool list in the words the syntax's models were trained on.
std::string ToolInstructions(const SessionSettings& s) {
  if (s.tools.empty() || s.tool_choice == "none") return {};
  std::string text = "\n\n# Tools\n\nYou may call one of these functions to assist with the task:\n<tools>\n";
  for (const auto& t : OpenAiTools(s.tools)) text += t.dump() + "\n";
  text += "</tools>\n\n";
  if (s.syntax == engine::ToolCallSyntax::kHermes) {
    text +=
        "To call a function, reply with a JSON object naming it and giving its arguments, inside "
        "<tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
        "<args-json-object>}\n</tool_call>";
  } else {
    text +=
        "To call a function, reply with only a JSON object of the form {\"name\": <function-name>, "
        "\"parameters\": <args-json-object>}.";
  }
  return text;
}

}  // namespace

nlohmann::json SessionSettings::ToJson() const {
  return {{"system_prompt", system_prompt},
          {"tools", tools},
          {"tool_syntax", SyntaxName(syntax)},
          {"tool_choice", tool_choice},
          {"created_unix_micros", created_unix_micros}};
}

base::Result<SessionSettings> SessionSettings::FromJson(const nlohmann::json& j) {
  SessionSettings s;
  if (!j.is_object() || !j.contains("system_prompt") || !j["system_prompt"].is_string() || !j.contains("tools") ||
      !j["tools"].is_array() || !j.contains("tool_syntax") || !j["tool_syntax"].is_string()) {
    return base::Corruption("the session's settings event is malformed: " + j.dump().substr(0, 200));
  }
  s.system_prompt = j["system_prompt"].get<std::string>();
  s.tools = j["tools"];
  for (const auto& t : s.tools) {
    if (!t.is_object() || !t.contains("name") || !t.contains("description") || !t.contains("parameters")) {
      return base::Corruption("the session's settings event has a malformed tool: " + t.dump().substr(0, 200));
    }
  }
  ASSIGN_OR_RETURN(s.syntax, ParseSyntaxName(j["tool_syntax"].get<std::string>()));
  try {
    s.tool_choice = j.value("tool_choice", "auto");
    s.created_unix_micros = j.value("created_unix_micros", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return base::Corruption(std::string("the session's settings event is malformed: ") + e.what());
  }
  return s;
}

const char* SyntaxName(engine::ToolCallSyntax syntax) {
  return syntax == engine::ToolCallSyntax::kHermes ? "hermes" : "llama3_json";
}

base::Result<engine::ToolCallSyntax> ParseSyntaxName(std::string_view name) {
  if (name == "hermes") return engine::ToolCallSyntax::kHermes;
  if (name == "llama3_json" || name == "llama3") return engine::ToolCallSyntax::kLlama3Json;
  return base::InvalidArgument("unknown tool-call syntax '" + std::string(name) + "' (hermes or llama3_json)");
}

engine::ToolCallSyntax DetectSyntax(std::string_view source) {
  const bool llama3 = source.find("<|python_tag|>") != std::string_view::npos ||
                      source.find("ipython") != std::string_view::npos;
  const bool hermes = source.find("<tool_call>") != std::string_view::npos;
  return llama3 && !hermes ? engine::ToolCallSyntax::kLlama3Json : engine::ToolCallSyntax::kHermes;
}

std::string_view DefaultChatTemplate() { return kChatMl; }
std::string_view DefaultSystemPrompt() { return kSystemPrompt; }

base::Result<PromptRenderer> PromptRenderer::Create(const engine::Model& model, const SessionSettings& settings) {
  PromptRenderer r;
  std::string source = model.ChatTemplateSource();
  if (source.empty()) source = std::string(kChatMl);
  auto parsed = engine::ChatTemplate::Parse(source);
  if (!parsed.ok()) return base::InvalidArgument("the model's chat template: " + parsed.status().message());
  r.template_ = std::move(*parsed);
  r.settings_ = std::make_shared<const SessionSettings>(settings);
  r.clock_ = std::make_shared<FrozenClock>(settings.created_unix_micros);
  // A template that mentions `tools` renders them itself (Qwen, Llama 3.1+,
  // Mistral); for the rest the system message carries the list.
  r.template_renders_tools_ = source.find("tools") != std::string::npos;
  r.system_text_ = settings.system_prompt;
  if (!r.template_renders_tools_) r.system_text_ += ToolInstructions(settings);
  if (model.bos_token() >= 0) r.bos_text_ = model.TokenToPiece(model.bos_token(), /*render_special=*/true);
  if (model.eos_token() >= 0) r.eos_text_ = model.TokenToPiece(model.eos_token(), /*render_special=*/true);
  return r;
}

base::Result<std::string> PromptRenderer::Render(const nlohmann::json& messages, bool add_generation_prompt) const {
  engine::ChatRenderOptions options;
  options.messages = nlohmann::json::array();
  if (!system_text_.empty()) options.messages.push_back({{"role", "system"}, {"content", system_text_}});
  for (const auto& m : messages) options.messages.push_back(m);
  if (template_renders_tools_ && !settings_->tools.empty() && settings_->tool_choice != "none") {
    options.tools = OpenAiTools(settings_->tools);
  }
  options.add_generation_prompt = add_generation_prompt;
  options.bos_token = bos_text_;
  options.eos_token = eos_text_;
  options.clock = clock_.get();
  auto text = template_->Render(options);
  if (!text.ok()) return base::InvalidArgument("rendering the chat template: " + text.status().message());
  return text;
}

}  // namespace agent
