#include "engine/grammar/tool_call.h"

#include <set>

namespace engine::grammar {

base::Result<Grammar> CompileToolCallGrammar(const std::vector<ToolSchema>& tools, ToolCallSyntax syntax,
                                             const JsonGrammarLimits& limits) {
  if (tools.empty()) return base::InvalidArgument("tool-call grammar: no tools declared");
  GrammarBuilder b;
  const uint32_t ws = WhitespaceRule(&b);
  const char* args_key = syntax == ToolCallSyntax::kHermes ? "arguments" : "parameters";
  const uint32_t call = b.NewRule("call");
  std::set<std::string> names;
  for (const ToolSchema& tool : tools) {
    if (tool.name.empty() || !names.insert(tool.name).second) {
      return base::InvalidArgument("tool-call grammar: tool names must be non-empty and unique ('" + tool.name + "')");
    }
    nlohmann::ordered_json schema = nlohmann::ordered_json::parse(tool.parameters_json, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) {
      return base::InvalidArgument("tool-call grammar: tool '" + tool.name + "' has malformed parameters JSON");
    }
    auto args = CompileJsonSchema(schema, limits, &b);
    if (!args.ok()) return args.status().WithContext("tool '" + tool.name + "'");
    Sequence seq;
    AppendLiteral("{", &seq);
    seq.push_back(Symbol::Ref(ws));
    AppendLiteral("\"name\":", &seq);
    seq.push_back(Symbol::Ref(ws));
    AppendLiteral(nlohmann::json(tool.name).dump() + ",", &seq);
    seq.push_back(Symbol::Ref(ws));
    AppendLiteral(std::string("\"") + args_key + "\":", &seq);
    seq.push_back(Symbol::Ref(ws));
    seq.push_back(Symbol::Ref(*args));
    seq.push_back(Symbol::Ref(ws));
    AppendLiteral("}", &seq);
    b.AddAlternative(call, std::move(seq));
  }
  // A newline is allowed around the JSON: chat templates put the call on
  // its own line between the markers.
  const uint32_t nl = b.NewRule("newline");
  b.AddAlternative(nl, {Symbol::Byte('\n')});
  b.AddAlternative(nl, {});
  Sequence root_seq{Symbol::Ref(nl), Symbol::Ref(call), Symbol::Ref(nl)};
  if (syntax == ToolCallSyntax::kHermes) AppendLiteral("</tool_call>", &root_seq);
  const uint32_t root = b.Rule("tool call", std::move(root_seq));
  return std::move(b).Build(root);
}

}  // namespace engine::grammar
