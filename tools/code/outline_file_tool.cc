// outline_file: one file's definitions in order, nested, with line ranges.
#include <filesystem>
#include <string>

#include "tools/builtin.h"
#include "tools/code/code_tools.h"
#include "tools/file_io.h"
#include "tools/paths.h"

namespace tools {
namespace {

std::string Range(const Definition& d) {
  return d.end_line > d.line ? std::to_string(d.line) + "-" + std::to_string(d.end_line) : std::to_string(d.line);
}

class OutlineFileTool : public BuiltinTool {
 public:
  explicit OutlineFileTool(std::shared_ptr<CodeIndex> index) : index_(std::move(index)) {}

  std::string name() const override { return "outline_file"; }
  std::string description() const override {
    return "Outline one source file: its classes, functions, methods and types in order, methods indented under "
           "their class, each as \"first-last: first line of the definition\". Cheaper than reading the whole "
           "file; read_file the line range you need next. Reads " + SupportedLanguages() + ".";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder().String("path", "Source file path relative to the repository root.", true).Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(ResolvedPath path, ResolvePath(context.repo_root, args.String("path")));
    if (!path.exists) return ErrorResult("file not found: " + path.relative + "; list_dir or glob show what exists");
    std::error_code ec;
    if (std::filesystem::is_directory(path.absolute, ec)) {
      return ErrorResult(path.relative + " is a directory; outline_file takes one file (code_map with paths=[\"" +
                         path.relative + "\"] outlines a directory)");
    }
    std::optional<Language> language = LanguageForPath(path.relative);
    if (!language && MayHaveShebang(path.relative)) {
      auto head = ReadWholeFile(path.absolute, index_->limits().max_file_bytes);
      if (head.ok()) language = LanguageForShebang(*head);
    }
    if (!language) {
      return ErrorResult("outline_file reads " + SupportedLanguages() + " source files, and " + path.relative +
                         " is none of them (by its extension); use read_file");
    }
    auto symbols = index_->SymbolsOf(context.repo_root, path.relative, *language);
    if (!symbols.ok()) return ErrorResult(Problem(path.relative, symbols.status()));
    const FileSymbols& file = **symbols;

    ToolResult result;
    result.text = path.relative + " (" + std::string(LanguageName(file.language)) + ", " +
                  std::to_string(file.line_count) + " lines, " + std::to_string(file.definitions.size()) +
                  (file.definitions.size() == 1 ? " definition)\n" : " definitions)\n");
    nlohmann::json outline = nlohmann::json::array();
    for (const Definition& d : file.definitions) {
      result.text += std::string(2 * static_cast<size_t>(d.depth), ' ') + Range(d) + ": " + d.signature + "\n";
      outline.push_back({{"name", d.name},
                         {"kind", SymbolKindName(d.kind)},
                         {"line", d.line},
                         {"end_line", d.end_line},
                         {"depth", d.depth}});
    }
    if (file.definitions.empty()) result.text += "No definitions found.\n";
    if (file.has_parse_errors) {
      result.text += "[the file has syntax errors; definitions inside the broken parts may be missing]\n";
    }
    result.details = {{"path", path.relative},
                      {"language", LanguageName(file.language)},
                      {"lines", file.line_count},
                      {"parse_errors", file.has_parse_errors},
                      {"definitions", std::move(outline)}};
    return result;
  }

 private:
  std::string Problem(const std::string& path, const base::Status& status) const {
    switch (status.code()) {
      case base::StatusCode::kUnsupported:
        return path + " is a binary file (it contains NUL bytes); outline_file reads source files";
      case base::StatusCode::kResourceExhausted:
        return path + " is too large to outline: " + status.message() + "; use grep for what you need";
      case base::StatusCode::kNotFound:
        return "file not found: " + path;
      default:
        return "cannot outline " + path + ": " + status.message();
    }
  }

  std::shared_ptr<CodeIndex> index_;
};

}  // namespace

std::unique_ptr<Tool> NewOutlineFileTool(std::shared_ptr<CodeIndex> index) {
  return std::make_unique<OutlineFileTool>(std::move(index));
}

}  // namespace tools
