// JSON Schema to Grammar: the byte-level grammar of JSON texts that match a
// schema, for constrained decoding of tool calls (DESIGN.md section 3.4).
//
// Supported: type (and type lists), properties + required (declared
// properties only, in declaration order; additionalProperties true or no
// properties gives a free-form object), items, minItems/maxItems,
// minLength/maxLength, enum, const, anyOf/oneOf, a one-element allOf, and
// local $ref (#/$defs/..., #/definitions/...), recursion included.
// Constraints the grammar cannot express (pattern, format, minimum, ...)
// are ignored: the output is still valid JSON of the right shape.
//
// Every repetition is bounded (JsonGrammarLimits), so sampling inside the
// grammar always terminates, even from a random-weight model.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/grammar/grammar.h"

namespace engine::grammar {

struct JsonGrammarLimits {
  int max_string_chars = 256;   // when the schema gives no maxLength
  int max_number_digits = 15;   // integer digits, and fraction and exponent digits
  int max_array_items = 32;     // when the schema gives no maxItems
  int max_free_members = 16;    // members of a free-form object
  int max_free_depth = 3;       // nesting of free-form values
};

// Adds the rules for one JSON value matching `schema` to `builder` and
// returns the value's rule. `schema` must stay alive during the call only.
base::Result<uint32_t> CompileJsonSchema(const nlohmann::ordered_json& schema, const JsonGrammarLimits& limits,
                                         GrammarBuilder* builder);

// Rules shared by compiled values: optional whitespace (at most one space,
// so a model cannot stall in it).
uint32_t WhitespaceRule(GrammarBuilder* builder);

}  // namespace engine::grammar
