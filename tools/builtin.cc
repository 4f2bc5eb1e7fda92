#include "tools/builtin.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "tools/code/code_tools.h"
#include "tools/git/git_tools.h"
#include "tools/text_util.h"

namespace tools {
namespace {

std::string Shown(const nlohmann::json& value) {
  std::string s = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s.size() > 80 ? s.substr(0, Utf8BoundaryBefore(s, 77)) + "..." : s;
}

std::string KnownNames(const nlohmann::json& properties) {
  std::string names;
  for (const auto& [name, _] : properties.items()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

// Empty when `value` fits `property`, else what it must be.
std::string TypeProblem(const nlohmann::json& value, const nlohmann::json& property) {
  const std::string type = property.value("type", "");
  if (type == "string") return value.is_string() ? "" : "a string";
  if (type == "boolean") return value.is_boolean() ? "" : "true or false";
  if (type == "number") return value.is_number() ? "" : "a number";
  if (type == "array") {
    const bool strings = value.is_array() && std::all_of(value.begin(), value.end(), [](const nlohmann::json& v) {
      return v.is_string();
    });
    return strings ? "" : "a list of strings";
  }
  if (type == "integer") {
    const int64_t minimum = property.value("minimum", INT64_MIN);
    const std::string want = minimum == 1           ? "a positive integer"
                             : minimum == 0         ? "a non-negative integer"
                             : minimum == INT64_MIN ? "an integer"
                                                    : "an integer of at least " + std::to_string(minimum);
    if (value.is_number_unsigned()) return value.get<uint64_t>() > INT64_MAX ? want : "";
    if (value.is_number_integer()) return value.get<int64_t>() >= minimum ? "" : want;
    if (value.is_number_float()) {
      const double d = value.get<double>();
      const bool integral = std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15;
      return integral && d >= static_cast<double>(minimum) ? "" : want;
    }
    return want;
  }
  return "";
}

}  // namespace

ToolResult ErrorResult(std::string message) {
  ToolResult r;
  r.is_error = true;
  r.text = std::move(message);
  return r;
}

SchemaBuilder& SchemaBuilder::Add(const std::string& name, nlohmann::json property, bool required) {
  properties_[name] = std::move(property);
  if (required) required_.push_back(name);
  return *this;
}

SchemaBuilder& SchemaBuilder::String(const std::string& name, const std::string& description, bool required) {
  return Add(name, {{"type", "string"}, {"description", description}}, required);
}

SchemaBuilder& SchemaBuilder::Integer(const std::string& name, const std::string& description, bool required,
                                      int64_t minimum) {
  return Add(name, {{"type", "integer"}, {"description", description}, {"minimum", minimum}}, required);
}

SchemaBuilder& SchemaBuilder::Number(const std::string& name, const std::string& description, bool required) {
  return Add(name, {{"type", "number"}, {"description", description}}, required);
}

SchemaBuilder& SchemaBuilder::Boolean(const std::string& name, const std::string& description, bool required) {
  return Add(name, {{"type", "boolean"}, {"description", description}}, required);
}

SchemaBuilder& SchemaBuilder::StringList(const std::string& name, const std::string& description, bool required) {
  return Add(name, {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", description}}, required);
}

nlohmann::json SchemaBuilder::Build() const {
  return {{"type", "object"},
          {"properties", properties_},
          {"required", required_},
          {"additionalProperties", false}};
}

base::Result<Args> Args::Check(const nlohmann::json& arguments, const nlohmann::json& schema) {
  const nlohmann::json& properties = schema.at("properties");
  if (!arguments.is_null() && !arguments.is_object()) {
    return base::InvalidArgument("the arguments must be a JSON object with: " + KnownNames(properties) +
                                 " (got " + Shown(arguments) + ")");
  }
  Args args;
  args.values_ = nlohmann::json::object();
  if (arguments.is_object()) {
    for (const auto& [name, value] : arguments.items()) {
      if (!properties.contains(name)) {
        return base::InvalidArgument("unknown argument \"" + name + "\"; the arguments are: " + KnownNames(properties));
      }
      if (value.is_null()) continue;
      const std::string problem = TypeProblem(value, properties.at(name));
      if (!problem.empty()) {
        return base::InvalidArgument(name + " must be " + problem + " (got " + Shown(value) + ")");
      }
      args.values_[name] = value;
    }
  }
  for (const auto& name : schema.at("required")) {
    if (!args.values_.contains(name.get<std::string>())) {
      return base::InvalidArgument("missing required argument \"" + name.get<std::string>() + "\"");
    }
  }
  return args;
}

bool Args::Has(const std::string& name) const { return values_.contains(name); }

std::string Args::String(const std::string& name, std::string fallback) const {
  return Has(name) ? values_.at(name).get<std::string>() : fallback;
}

std::optional<int64_t> Args::Int(const std::string& name) const {
  if (!Has(name)) return std::nullopt;
  const nlohmann::json& v = values_.at(name);
  return v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
}

std::optional<double> Args::Number(const std::string& name) const {
  if (!Has(name)) return std::nullopt;
  return values_.at(name).get<double>();
}

bool Args::Bool(const std::string& name, bool fallback) const {
  return Has(name) ? values_.at(name).get<bool>() : fallback;
}

std::vector<std::string> Args::StringList(const std::string& name) const {
  std::vector<std::string> out;
  if (Has(name)) {
    for (const auto& v : values_.at(name)) out.push_back(v.get<std::string>());
  }
  return out;
}

base::Result<ToolResult> BuiltinTool::Run(const nlohmann::json& arguments, const ToolContext& context) const {
  base::Result<ToolResult> result = base::Internal("unset");
  try {
    auto args = Args::Check(arguments, parameters_schema());
    result = args.ok() ? RunChecked(*args, context) : base::Result<ToolResult>(ErrorResult(args.status().message()));
  } catch (const nlohmann::json::exception& e) {
    // The checks above should make this unreachable; if not, the model
    // still gets an answer it can act on instead of a stopped turn.
    result = ErrorResult(std::string("could not read the arguments: ") + e.what());
  } catch (const std::exception& e) {
    return base::Internal(name() + ": " + e.what());
  }
  if (!result.ok()) return result;
  ToolResult& r = *result;
  r.full_output = SanitizeUtf8(r.full_output.empty() ? r.text : r.full_output);
  r.text = CutHeadAndTail(r.full_output, context.limits.model_output_bytes, context.output_id);
  r.truncated = r.text.size() != r.full_output.size();
  return result;
}

std::vector<std::unique_ptr<Tool>> BuiltinTools() {
  std::vector<std::unique_ptr<Tool>> tools;
  // One index for the three code tools, so that each reuses what the
  // others parsed.
  auto code_index = std::make_shared<CodeIndex>();
  tools.push_back(NewCodeMapTool(code_index));
  tools.push_back(NewFindSymbolTool(code_index));
  tools.push_back(NewOutlineFileTool(code_index));
  tools.push_back(NewEditFileTool());
  tools.push_back(NewGitDiffTool());
  tools.push_back(NewGitLogTool());
  tools.push_back(NewGitShowTool());
  tools.push_back(NewGitStatusTool());
  tools.push_back(NewGlobTool());
  tools.push_back(NewGrepTool());
  tools.push_back(NewListDirTool());
  tools.push_back(NewReadFileTool());
  tools.push_back(NewReadOutputTool());
  tools.push_back(NewRunCommandTool());
  tools.push_back(NewWriteFileTool());
  std::sort(tools.begin(), tools.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return tools;
}

}  // namespace tools
