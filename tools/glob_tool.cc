// glob: files whose path matches a pattern such as "src/**/*.cc".
#include <algorithm>
#include <filesystem>
#include <string>

#include "tools/builtin.h"
#include "tools/glob_pattern.h"
#include "tools/ignore_rules.h"
#include "tools/paths.h"
#include "tools/walk.h"

namespace tools {
namespace {

std::string RelativeToBase(const std::string& relative, const std::string& base) {
  return base == "." ? relative : relative.substr(base.size() + 1);
}

class GlobTool : public BuiltinTool {
 public:
  std::string name() const override { return "glob"; }
  std::string description() const override {
    return "Find files by path pattern, e.g. \"src/**/*.cc\" or \"**/CMakeLists.txt\". `*` and `?` match within "
           "one path component, `**` matches any number of directories, `[abc]` one of the characters. The pattern "
           "is matched against the whole path from `path` (so \"*.cc\" only finds files directly in it). Results are "
           "sorted paths from the repository root; files ignored by .gitignore are left out.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("pattern", "Glob pattern relative to `path`, e.g. \"**/*.h\".", true)
        .String("path", "Directory to search from, relative to the repository root. Default \".\".", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    const std::string pattern_text = args.String("pattern");
    TOOL_ASSIGN_OR_ERROR(GlobPattern pattern, GlobPattern::Parse(pattern_text));
    TOOL_ASSIGN_OR_ERROR(ResolvedPath base, ResolvePath(context.repo_root, args.String("path", ".")));
    std::error_code ec;
    if (!base.exists || !std::filesystem::is_directory(base.absolute, ec)) {
      return ErrorResult("directory not found: " + base.relative + " (glob searches from a directory)");
    }
    IgnoreRules rules(context.repo_root);
    const size_t cap = static_cast<size_t>(std::max(context.limits.max_matches, 1));
    std::vector<std::string> found;
    bool more = false;
    base::Status walked = WalkFiles(context.repo_root, base.relative, rules, [&](const DirEntry& e) {
      if (!pattern.Matches(RelativeToBase(e.relative, base.relative))) return true;
      if (found.size() == cap) {
        more = true;
        return false;
      }
      found.push_back(e.relative);
      return true;
    });
    if (!walked.ok()) return ErrorResult("cannot search " + base.relative + ": " + walked.message());
    ToolResult result;
    result.details = {{"pattern", pattern_text}, {"path", base.relative}, {"matches", found.size()}, {"capped", more}};
    if (found.empty()) {
      result.text = "No files match " + pattern_text + (base.relative == "." ? "" : " under " + base.relative) + ".\n";
      if (!pattern.has_slash() && pattern_text.find("**") == std::string::npos) {
        result.text += "The pattern has no \"/\", so it only matches files directly in the directory; use \"**/" +
                       pattern_text + "\" to search subdirectories too.\n";
      }
      return result;
    }
    for (const std::string& f : found) result.text += f + "\n";
    if (more) {
      result.text += "[stopped after " + std::to_string(cap) + " matches; there are more. Narrow the pattern or path]\n";
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewGlobTool() { return std::make_unique<GlobTool>(); }

}  // namespace tools
