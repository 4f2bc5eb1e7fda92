// list_dir: one directory's entries, sorted, directories marked with "/".
#include <algorithm>
#include <filesystem>
#include <string>

#include "tools/builtin.h"
#include "tools/ignore_rules.h"
#include "tools/paths.h"
#include "tools/walk.h"

namespace tools {
namespace {

class ListDirTool : public BuiltinTool {
 public:
  std::string name() const override { return "list_dir"; }
  std::string description() const override {
    return "List the entries of one directory in the repository (not recursive), sorted; directories end "
           "with \"/\", symlinks show their target. Entries ignored by .gitignore, and .git, are left out. "
           "Use glob to find files at any depth.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("path", "Directory relative to the repository root. Default \".\" (the root).", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(ResolvedPath path, ResolvePath(context.repo_root, args.String("path", ".")));
    if (!path.exists) return ErrorResult("directory not found: " + path.relative);
    if (IsInGitDir(path.relative)) {
      return ErrorResult("list_dir does not show git's own .git directory; use run_command with git commands instead");
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(path.absolute, ec)) {
      return ErrorResult(path.relative + " is a file, not a directory; use read_file to read it");
    }
    IgnoreRules rules(context.repo_root);
    auto entries = ReadDirEntries(context.repo_root, path.relative, rules);
    if (!entries.ok()) return ErrorResult("cannot list " + path.relative + ": " + entries.status().message());
    const size_t cap = static_cast<size_t>(std::max(context.limits.max_matches, 1));
    size_t shown = 0, hidden = 0, visible = 0;
    std::string body;
    for (const DirEntry& e : *entries) {
      if (e.ignored) {
        if (e.name != ".git") ++hidden;
        continue;
      }
      ++visible;
      if (shown >= cap) continue;
      ++shown;
      body += e.name;
      if (e.is_symlink) {
        std::error_code link_ec;
        const auto target = std::filesystem::read_symlink(path.absolute + "/" + e.name, link_ec);
        body += (e.is_dir ? "/ -> " : " -> ") + (link_ec ? std::string("?") : target.string());
      } else if (e.is_dir) {
        body += "/";
      }
      body += "\n";
    }
    ToolResult result;
    result.text = (path.relative == "." ? std::string("./") : path.relative + "/") + " (" + std::to_string(visible) +
                  " entries)\n";
    if (visible == 0) result.text += "(empty directory)\n";
    result.text += body;
    if (visible > shown) {
      result.text += "[" + std::to_string(visible - shown) + " more entries not shown (limit " + std::to_string(cap) +
                     "); use glob with a pattern to narrow the listing]\n";
    }
    if (hidden > 0) result.text += "[" + std::to_string(hidden) + " entries hidden by .gitignore]\n";
    result.details = {{"path", path.relative}, {"entries", visible}, {"shown", shown}, {"ignored", hidden}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewListDirTool() { return std::make_unique<ListDirTool>(); }

}  // namespace tools
