// Grammar-constrained decoding (DESIGN.md section 3.4): a TokenConstraint
// binds a grammar (from a JSON schema, or the tool-call grammar of a set of
// tools) to a model's vocabulary and masks the logits so that only tokens
// that keep the output a prefix of the grammar can be sampled. Sampling
// inside the mask is free (temperature, top-p, ... as usual).
//
// Every repetition in the compiled grammars is bounded, so a sequence
// sampled under the mask always reaches a complete, parseable text, even
// from a random-weight model: at the bound only closing bytes remain.
//
// Threading: one thread uses a TokenConstraint at a time. Construction
// walks the vocabulary once (O(vocab) time and memory).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"

namespace engine {

namespace grammar {
class Matcher;
}

struct JsonGrammarOptions {
  int max_string_chars = 256;  // strings without maxLength
  int max_array_items = 32;    // arrays without maxItems
  int max_number_digits = 15;
};

// A tool the model may call: its name and its parameters' JSON schema.
struct ToolSchema {
  std::string name;
  std::string parameters_json;  // a JSON schema object, e.g. {"type":"object",...}
};

// How a call is written once it has opened.
enum class ToolCallSyntax {
  // Hermes / Qwen: after "<tool_call>": {"name": ..., "arguments": {...}}
  // then "</tool_call>".
  kHermes,
  // Llama 3.x JSON: {"name": ..., "parameters": {...}}, then end of turn.
  kLlama3Json,
};

class TokenConstraint {
 public:
  // The JSON texts matching `schema_json`.
  static base::Result<std::unique_ptr<TokenConstraint>> ForJsonSchema(const Model& model, std::string_view schema_json,
                                                                      const JsonGrammarOptions& options = {});
  // One call to one of `tools`, in `syntax`, from just after the opening
  // marker to the closing one (kHermes) or the end of the JSON (kLlama3Json).
  static base::Result<std::unique_ptr<TokenConstraint>> ForToolCalls(const Model& model,
                                                                     const std::vector<ToolSchema>& tools,
                                                                     ToolCallSyntax syntax,
                                                                     const JsonGrammarOptions& options = {});
  ~TokenConstraint();

  // Sets the logit of every token that cannot continue the text to -inf.
  // End-of-generation tokens stay allowed only once the text is complete.
  void Mask(std::span<float> logits);
  // Appends a sampled token; an error (and no change) if the mask forbids it.
  base::Status Accept(int32_t token);
  // Appends raw text (e.g. a prefix the caller forces); error if invalid.
  base::Status AcceptText(std::string_view text);
  // The text so far is a whole sentence of the grammar.
  bool complete() const;
  // No byte can follow: generation should stop here.
  bool finished() const;
  // Back to the empty text.
  void Reset();

 private:
  struct Impl;
  explicit TokenConstraint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine
