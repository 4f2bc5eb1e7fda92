// Chat templates: the model's own Jinja template (tokenizer.chat_template)
// rendered by our Jinja subset interpreter, byte-identical to the reference
// implementation @huggingface/jinja (what transformers.js and HF's hub use),
// including its trim_blocks/lstrip_blocks whitespace handling and its
// JavaScript-flavoured value semantics.
//
//   ASSIGN_OR_RETURN(ChatTemplate tmpl, ChatTemplate::Parse(source));
//   ChatRenderOptions options;
//   options.messages = {{{"role", "user"}, {"content", "Hi"}}};
//   ASSIGN_OR_RETURN(std::string prompt, tmpl.Render(options));
//
// Errors are base::Status, never exceptions or aborts: a syntax error names
// line:column, a runtime error (unknown filter for a type, a template's
// raise_exception(...), a bad context) names the failing node's line:column.
// Runaway templates hit depth, step and size limits (ResourceExhausted).
//
// Key order: nlohmann::json objects iterate in sorted key order, so that is
// the order templates see (e.g. in `tool | tojson`); it is deterministic.
// Integer-like keys ("0", "12") come first in numeric order, as they would
// in JavaScript.
//
// Threading: a ChatTemplate is immutable after Parse; Render may run
// concurrently from many threads. Copies share the parsed template.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"

namespace engine {

struct ChatRenderLimits {
  size_t max_output_bytes = size_t{256} << 20;  // also caps any single string
  size_t max_array_items = size_t{1} << 22;     // any single array (range(), `+`)
  int max_depth = 500;                          // nested evaluation (macro recursion)
  uint64_t max_steps = 20'000'000;              // evaluation steps (runaway loops)
};

struct ChatRenderOptions {
  nlohmann::json messages;  // [{"role": ..., "content": ..., "tool_calls": [...]}, ...]
  nlohmann::json tools;     // null: `tools` stays undefined in the template
  bool add_generation_prompt = true;
  std::string bos_token, eos_token;
  // More template variables (an object), e.g. {"enable_thinking": false}.
  // They override the variables above; they may not redefine builtins
  // (range, namespace, true, ...), as in the reference.
  nlohmann::json extra;
  const base::Clock* clock = nullptr;  // for strftime_now; null: base::SystemClock()
  ChatRenderLimits limits;
};

class ChatTemplate {
 public:
  // Parses once; render many times.
  static base::Result<ChatTemplate> Parse(std::string_view source);

  base::Result<std::string> Render(const ChatRenderOptions& options) const;

  const std::string& source() const;

 private:
  struct Impl;
  explicit ChatTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace engine
