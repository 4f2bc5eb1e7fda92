#include "agent/core/tool_call.h"

namespace agent {
namespace {

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Example(engine::ToolCallSyntax syntax) {
  return syntax == engine::ToolCallSyntax::kHermes
             ? std::string(R"(<tool_call>{"name": "read_file", "arguments": {"path": "README.md"}}</tool_call>)")
             : std::string(R"({"name": "read_file", "parameters": {"path": "README.md"}})");
}

}  // namespace

std::vector<CallText> FindToolCalls(std::string_view reply, engine::ToolCallSyntax syntax) {
  std::vector<CallText> calls;
  if (syntax == engine::ToolCallSyntax::kLlama3Json) {
    std::string_view body = TrimLeft(reply);
    if (body.substr(0, kPythonTag.size()) == kPythonTag) body = TrimLeft(body.substr(kPythonTag.size()));
    if (!body.empty() && body.front() == '{') calls.push_back({std::string(Trim(body)), {}});
    return calls;
  }
  size_t at = 0;
  while ((at = reply.find(kHermesOpen, at)) != std::string_view::npos) {
    const size_t start = at + kHermesOpen.size();
    const size_t end = reply.find(kHermesClose, start);
    if (end == std::string_view::npos) {
      calls.push_back({std::string(Trim(reply.substr(start))),
                       "the tool call was opened with <tool_call> but never closed with </tool_call>"});
      break;
    }
    calls.push_back({std::string(Trim(reply.substr(start, end - start))), {}});
    at = end + kHermesClose.size();
  }
  return calls;
}

bool CallJustOpened(std::string_view text, engine::ToolCallSyntax syntax) {
  if (syntax == engine::ToolCallSyntax::kHermes) return text.ends_with(kHermesOpen);
  std::string_view body = TrimLeft(text);
  if (body.substr(0, kPythonTag.size()) == kPythonTag) body = TrimLeft(body.substr(kPythonTag.size()));
  return body == "{";
}

base::Result<ParsedCall> ParseToolCall(std::string_view json_text, engine::ToolCallSyntax syntax) {
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return base::InvalidArgument("the tool call is not valid JSON: " + std::string(json_text.substr(0, 300)) +
                                 "\nA valid call looks like: " + Example(syntax));
  }
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    return base::InvalidArgument("the tool call must be a JSON object with a string \"name\"; got: " +
                                 j.dump().substr(0, 300) + "\nA valid call looks like: " + Example(syntax));
  }
  ParsedCall call;
  call.name = j["name"].get<std::string>();
  const char* key = j.contains("arguments") ? "arguments" : "parameters";
  call.arguments = j.contains(key) ? j[key] : nlohmann::json::object();
  // Some models send the arguments as a JSON string.
  if (call.arguments.is_string()) {
    const auto inner = nlohmann::json::parse(call.arguments.get<std::string>(), nullptr, false);
    if (!inner.is_discarded()) call.arguments = inner;
  }
  if (!call.arguments.is_object()) {
    return base::InvalidArgument("the arguments of tool call '" + call.name + "' must be a JSON object; got: " +
                                 call.arguments.dump().substr(0, 300));
  }
  return call;
}

}  // namespace agent
