// code_map: a ranked outline of the repository, cut to a token budget.
#include <algorithm>
#include <string>

#include "tools/builtin.h"
#include "tools/code/code_tools.h"
#include "tools/code/map_render.h"
#include "tools/code/page_rank.h"

namespace tools {
namespace {

class CodeMapTool : public BuiltinTool {
 public:
  explicit CodeMapTool(std::shared_ptr<CodeIndex> index) : index_(std::move(index)) {}

  std::string name() const override { return "code_map"; }
  std::string description() const override {
    return "A map of the repository's code: source files ranked by how much the rest of the code uses them (and by "
           "the files this session worked on), each with its most important definitions (classes, functions, "
           "methods, types) as \"line: first line of the definition\". Use it to find your way around before "
           "reading files; then outline_file, find_symbol or read_file. Reads " + SupportedLanguages() +
           "; skips files ignored by .gitignore.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .Integer("max_tokens", "Size of the map in tokens. Default " + std::to_string(kDefaultMapTokens) + ".", false,
                 static_cast<int64_t>(kMinMapTokens))
        .StringList("paths", "Only show files under these directories or files, or matching these globs, e.g. "
                             "[\"src/net\", \"**/*.py\"]. The ranking still counts every file.", false)
        .StringList("focus", "Files or directories to rank higher, e.g. the ones the task is about.", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    const auto max_tokens = static_cast<size_t>(args.Int("max_tokens").value_or(kDefaultMapTokens));
    TOOL_ASSIGN_OR_ERROR(PathFilter paths, PathFilter::Parse(args.StringList("paths"), "paths"));
    TOOL_ASSIGN_OR_ERROR(PathFilter focus, PathFilter::Parse(args.StringList("focus"), "focus"));
    RefreshStats stats;
    auto refreshed = index_->Refresh(context.repo_root, &stats);
    if (!refreshed.ok()) return ErrorResult("cannot map the repository: " + refreshed.status().message());
    const CodeSnapshot& snapshot = **refreshed;
    ToolResult result;
    result.details = RefreshDetails(stats);
    if (snapshot.files().empty()) {
      result.text = "No source files to map: the code map reads " + SupportedLanguages() +
                    " files, and the repository has none (outside what .gitignore hides).\n";
      return result;
    }
    const auto& files = snapshot.files();
    auto matches = [&](const PathFilter& filter) {
      return std::any_of(files.begin(), files.end(), [&](const auto& f) { return filter.Matches(f->path); });
    };
    if (!paths.empty() && !matches(paths)) return ErrorResult(NoMatch("paths", paths));
    if (!focus.empty() && !matches(focus)) return ErrorResult(NoMatch("focus", focus));

    const Ranking ranking = RankSymbols(snapshot.graph(), SessionBias(snapshot, context.touched_files, focus));
    const MapBudget budget{max_tokens, static_cast<size_t>(context.limits.model_output_bytes)};
    const std::string note =
        stats.file_limit_reached ? "[the repository has more than " + std::to_string(index_->limits().max_files) +
                                       " source files; only the first found are mapped]\n"
                                 : "";
    RenderedMap map = RenderCodeMap(snapshot, ranking, paths, budget, note);
    if (map.text.empty()) {
      return ErrorResult("the output limit of " + std::to_string(context.limits.model_output_bytes) +
                         " bytes is too small for a code map; use outline_file or find_symbol instead");
    }
    result.text = std::move(map.text);
    result.details["max_tokens"] = max_tokens;
    result.details["tokens"] = map.tokens;
    result.details["files_shown"] = map.files_shown;
    result.details["definitions_shown"] = map.definitions_shown;
    result.details["files_total"] = map.files_total;
    result.details["definitions_total"] = map.definitions_total;
    result.details["files"] = map.files;
    return result;
  }

 private:
  static std::string NoMatch(const std::string& argument, const PathFilter& filter) {
    std::string entries;
    for (const std::string& e : filter.entries()) entries += (entries.empty() ? "" : ", ") + e;
    return argument + " (" + entries + ") match no indexed source file; glob or list_dir show what exists, and the "
           "code map reads " + SupportedLanguages() + " files";
  }

  std::shared_ptr<CodeIndex> index_;
};

}  // namespace

std::unique_ptr<Tool> NewCodeMapTool(std::shared_ptr<CodeIndex> index) {
  return std::make_unique<CodeMapTool>(std::move(index));
}

}  // namespace tools
