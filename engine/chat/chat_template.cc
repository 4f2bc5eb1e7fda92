#include "engine/chat/chat_template.h"

#include <utility>
#include <vector>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_eval.h"
#include "engine/chat/jinja_json.h"
#include "engine/chat/jinja_lexer.h"
#include "engine/chat/jinja_parser.h"

namespace engine {

struct ChatTemplate::Impl {
  std::string source;
  jinja::Program program;
};

base::Result<ChatTemplate> ChatTemplate::Parse(std::string_view source) {
  auto impl = std::make_shared<Impl>();
  impl->source.assign(source);
  ASSIGN_OR_RETURN(std::vector<jinja::Token> tokens, jinja::Tokenize(impl->source));
  ASSIGN_OR_RETURN(impl->program, jinja::Parse(impl->source, tokens));
  return ChatTemplate(std::move(impl));
}

const std::string& ChatTemplate::source() const { return impl_->source; }

base::Result<std::string> ChatTemplate::Render(const ChatRenderOptions& options) const {
  using jinja::Value;
  std::vector<std::pair<std::string, Value>> context;
  auto set = [&context](std::string name, Value value) {
    for (auto& entry : context) {
      if (entry.first == name) {
        entry.second = std::move(value);
        return;
      }
    }
    context.emplace_back(std::move(name), std::move(value));
  };
  ASSIGN_OR_RETURN(Value messages, jinja::FromJson(options.messages));
  set("messages", std::move(messages));
  if (!options.tools.is_null()) {
    ASSIGN_OR_RETURN(Value tools, jinja::FromJson(options.tools));
    set("tools", std::move(tools));
  }
  set("add_generation_prompt", Value::Bool(options.add_generation_prompt));
  set("bos_token", Value::String(options.bos_token));
  set("eos_token", Value::String(options.eos_token));
  if (!options.extra.is_null()) {
    if (!options.extra.is_object()) return base::InvalidArgument("ChatRenderOptions.extra must be a JSON object");
    for (auto it = options.extra.begin(); it != options.extra.end(); ++it) {
      ASSIGN_OR_RETURN(Value value, jinja::FromJson(it.value()));
      set(it.key(), std::move(value));
    }
  }

  jinja::Limits limits;
  limits.max_bytes = options.limits.max_output_bytes;
  limits.max_array_items = options.limits.max_array_items;
  limits.max_depth = options.limits.max_depth;
  limits.max_steps = options.limits.max_steps;
  const base::Clock* clock = options.clock != nullptr ? options.clock : base::SystemClock();
  jinja::NamespaceTracker namespaces;  // declared first: outlives every value of the render
  ASSIGN_OR_RETURN(jinja::EnvPtr globals, jinja::MakeGlobals(std::move(context), clock, limits, &namespaces));
  jinja::Evaluator evaluator(impl_->source, limits, clock);
  base::Result<std::string> result = evaluator.Render(impl_->program, globals);
  namespaces.ClearAll();
  return result;
}

}  // namespace engine
