// The grammar of one tool call: {"name": "<tool>", "<args key>": <that
// tool's parameters>} for any one of the declared tools, plus the closing
// marker of the syntax.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/constrained.h"
#include "engine/grammar/grammar.h"
#include "engine/grammar/json_schema.h"

namespace engine::grammar {

base::Result<Grammar> CompileToolCallGrammar(const std::vector<ToolSchema>& tools, ToolCallSyntax syntax,
                                             const JsonGrammarLimits& limits);

}  // namespace engine::grammar
