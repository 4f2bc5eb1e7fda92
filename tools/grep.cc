// grep: lines matching a regular expression, as "path:line: text".
#include <algorithm>
#include <filesystem>
#include <string>

#include "tools/builtin.h"
#include "tools/file_io.h"
#include "tools/glob_pattern.h"
#include "tools/ignore_rules.h"
#include "tools/paths.h"
#include "tools/regex.h"
#include "tools/text_util.h"
#include "tools/walk.h"

namespace tools {
namespace {

constexpr size_t kMaxShownLineBytes = 400;

struct Search {
  const Regex* regex = nullptr;
  const ToolContext* context = nullptr;
  size_t cap = 0;
  std::string out;
  size_t matches = 0;
  size_t files_with_matches = 0;
  size_t files_searched = 0;
  size_t skipped_binary = 0;
  size_t skipped_large = 0;
  size_t expensive_lines = 0;
  bool capped = false;

  // Returns false once the match cap is reached.
  bool File(const std::string& absolute, const std::string& relative) {
    auto data = ReadWholeFile(absolute, context->limits.max_read_bytes);
    if (!data.ok()) {
      if (data.status().code() == base::StatusCode::kResourceExhausted) ++skipped_large;
      return true;
    }
    if (LooksBinary(*data)) {
      ++skipped_binary;
      return true;
    }
    ++files_searched;
    bool any = false;
    size_t number = 0;
    for (std::string_view line : SplitLines(*data)) {
      ++number;
      const Regex::Match m = regex->Search(line);
      if (m == Regex::Match::kTooExpensive) ++expensive_lines;
      if (m != Regex::Match::kYes) continue;
      if (matches == cap) {
        capped = true;
        if (any) ++files_with_matches;
        return false;
      }
      ++matches;
      any = true;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      out += relative + ":" + std::to_string(number) + ": " + ClipLine(line, kMaxShownLineBytes) + "\n";
    }
    if (any) ++files_with_matches;
    return true;
  }
};

std::string BaseName(const std::string& relative) {
  const size_t slash = relative.rfind('/');
  return slash == std::string::npos ? relative : relative.substr(slash + 1);
}

class GrepTool : public BuiltinTool {
 public:
  std::string name() const override { return "grep"; }
  std::string description() const override {
    return "Search file contents with a regular expression (Perl syntax, e.g. \"TODO|FIXME\", \"\\bParse\\w*\\(\"). "
           "Prints matching lines as \"path:line: text\". Searches the repository, or `path` (a file or a "
           "directory); `glob` filters the files searched. Files ignored by .gitignore and binary files are skipped.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("pattern", "Regular expression to search for (PCRE/Perl syntax), matched line by line.", true)
        .String("path", "File or directory to search, relative to the repository root. Default \".\".", false)
        .String("glob", "Only search files matching this glob, e.g. \"*.cc\" (a pattern without \"/\" matches file "
                        "names at any depth) or \"src/**/*.h\".", false)
        .Boolean("case_insensitive", "Ignore case. Default false.", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    const std::string pattern = args.String("pattern");
    if (pattern.empty()) return ErrorResult("the pattern is empty; give a regular expression to search for");
    TOOL_ASSIGN_OR_ERROR(auto regex, Regex::Compile(pattern, args.Bool("case_insensitive", false)));
    TOOL_ASSIGN_OR_ERROR(ResolvedPath where, ResolvePath(context.repo_root, args.String("path", ".")));
    if (!where.exists) return ErrorResult("path not found: " + where.relative);
    std::optional<GlobPattern> filter;
    if (args.Has("glob")) {
      TOOL_ASSIGN_OR_ERROR(filter, GlobPattern::Parse(args.String("glob")));
    }
    Search search;
    search.regex = regex.get();
    search.context = &context;
    search.cap = static_cast<size_t>(std::max(context.limits.max_matches, 1));
    std::error_code ec;
    if (!std::filesystem::is_directory(where.absolute, ec)) {
      // A file named outright is searched even when .gitignore covers it.
      search.File(where.absolute, where.relative);
    } else {
      IgnoreRules rules(context.repo_root);
      base::Status walked = WalkFiles(context.repo_root, where.relative, rules, [&](const DirEntry& e) {
        if (filter && !filter->Matches(filter->has_slash() ? e.relative : BaseName(e.relative))) return true;
        std::string absolute = context.repo_root + "/" + e.relative;
        if (e.is_symlink) {
          auto target = ResolvePath(context.repo_root, e.relative);
          if (!target.ok()) return true;  // leads outside or nowhere
          absolute = target->absolute;
        }
        return search.File(absolute, e.relative);
      });
      if (!walked.ok()) return ErrorResult("cannot search " + where.relative + ": " + walked.message());
    }
    ToolResult result;
    if (search.matches == 0) {
      result.text = "No matches for " + pattern + " in " + where.relative + " (" + std::to_string(search.files_searched) +
                    " files searched).\n";
    } else {
      result.text = search.out;
      result.text += "[" + std::to_string(search.matches) + " matches in " + std::to_string(search.files_with_matches) +
                     " files]\n";
    }
    if (search.capped) {
      result.text += "[stopped after " + std::to_string(search.cap) + " matches; narrow the pattern, path or glob]\n";
    }
    if (search.skipped_binary + search.skipped_large > 0) {
      result.text += "[skipped " + std::to_string(search.skipped_binary) + " binary files and " +
                     std::to_string(search.skipped_large) + " files over " +
                     std::to_string(context.limits.max_read_bytes) + " bytes]\n";
    }
    if (search.expensive_lines > 0) {
      result.text += "[the pattern needed too much backtracking on " + std::to_string(search.expensive_lines) +
                     " lines, which were skipped; simplify it (avoid nested repetition like (a*)*)]\n";
    }
    result.details = {{"pattern", pattern},
                      {"path", where.relative},
                      {"matches", search.matches},
                      {"files_with_matches", search.files_with_matches},
                      {"files_searched", search.files_searched},
                      {"capped", search.capped}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewGrepTool() { return std::make_unique<GrepTool>(); }

}  // namespace tools
