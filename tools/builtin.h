// What the built-in tools share: argument checking against their own
// schema, the error result, and the base class that cuts every result to
// the model's budget. Private to tools/.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "tools/tool.h"

namespace tools {

// A failed call, for the model to read and act on.
ToolResult ErrorResult(std::string message);

// Builds the {"type":"object",...,"additionalProperties":false} schemas.
class SchemaBuilder {
 public:
  SchemaBuilder& String(const std::string& name, const std::string& description, bool required);
  // `minimum` is inclusive.
  SchemaBuilder& Integer(const std::string& name, const std::string& description, bool required, int64_t minimum);
  SchemaBuilder& Number(const std::string& name, const std::string& description, bool required);
  SchemaBuilder& Boolean(const std::string& name, const std::string& description, bool required);
  // An array of strings.
  SchemaBuilder& StringList(const std::string& name, const std::string& description, bool required);
  nlohmann::json Build() const;

 private:
  SchemaBuilder& Add(const std::string& name, nlohmann::json property, bool required);
  nlohmann::json properties_ = nlohmann::json::object();
  nlohmann::json required_ = nlohmann::json::array();
};

// A call's arguments after checking them against the tool's schema: an
// object, no unknown names, required ones present, each of its type (an
// integer may come as 12.0; null counts as absent). The getters then
// cannot fail.
class Args {
 public:
  // kInvalidArgument with a message naming the argument and what it must be.
  static base::Result<Args> Check(const nlohmann::json& arguments, const nlohmann::json& schema);

  bool Has(const std::string& name) const;
  std::string String(const std::string& name, std::string fallback = "") const;
  std::optional<int64_t> Int(const std::string& name) const;
  std::optional<double> Number(const std::string& name) const;
  bool Bool(const std::string& name, bool fallback) const;
  // Empty when absent.
  std::vector<std::string> StringList(const std::string& name) const;

 private:
  nlohmann::json values_;
};

// The built-in tools' base: Run checks the arguments, calls RunChecked,
// turns stray exceptions into errors, and passes the text through
// SanitizeUtf8 and CutHeadAndTail (limits.model_output_bytes, the call's
// output id), keeping the whole text in full_output.
class BuiltinTool : public Tool {
 public:
  base::Result<ToolResult> Run(const nlohmann::json& arguments, const ToolContext& context) const final;

 protected:
  // Returns the whole text in ToolResult::text (full_output left empty).
  virtual base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const = 0;
};

std::unique_ptr<Tool> NewEditFileTool();
std::unique_ptr<Tool> NewGlobTool();
std::unique_ptr<Tool> NewGrepTool();
std::unique_ptr<Tool> NewListDirTool();
std::unique_ptr<Tool> NewReadFileTool();
std::unique_ptr<Tool> NewReadOutputTool();
std::unique_ptr<Tool> NewRunCommandTool();
std::unique_ptr<Tool> NewWriteFileTool();

}  // namespace tools

// `TOOL_ASSIGN_OR_ERROR(auto x, F());` binds the value, or returns the
// failure to the model as ErrorResult(status.message()) (a user error, not
// an internal fault).
#define TOOL_ASSIGN_OR_ERROR(lhs, expr) TOOL_ASSIGN_OR_ERROR_IMPL(LH_CONCAT(lh_tool_, __LINE__), lhs, expr)
#define TOOL_ASSIGN_OR_ERROR_IMPL(tmp, lhs, expr)                       \
  auto tmp = (expr);                                                    \
  if (!tmp.ok()) return ::tools::ErrorResult(tmp.status().message()); \
  lhs = std::move(tmp).value()
