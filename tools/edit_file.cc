// edit_file: replaces one exact, unique occurrence of old_text.
#include <string>
#include <vector>

#include "tools/builtin.h"
#include "tools/file_io.h"
#include "tools/nearby_text.h"
#include "tools/paths.h"
#include "tools/text_util.h"

namespace tools {
namespace {

constexpr size_t kMaxListedMatches = 20;

// Every start offset of `needle`, overlapping ones included: "aa" in "aaa"
// is ambiguous too.
std::vector<size_t> FindAll(std::string_view hay, std::string_view needle) {
  std::vector<size_t> at;
  for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) at.push_back(p);
  return at;
}

std::string ToCrlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string NotFoundMessage(const std::string& path, const std::string& file, const std::string& old_text) {
  const NearbyText near = FindNearbyText(file, old_text);
  std::string msg = "old_text was not found in " + path + ".";
  if (near.line == 0) return msg + " The file is empty; use write_file to give it content.\n";
  if (near.whitespace_only) {
    msg += " It matches near line " + std::to_string(near.line) +
           " if whitespace is ignored: copy the indentation, tabs and spacing exactly from these lines:\n";
  } else {
    msg += " The most similar text is near line " + std::to_string(near.line) + "; the file there reads:\n";
  }
  msg += near.excerpt;
  msg += "Copy old_text exactly from the file (without the line numbers and the tab after them) and try again; "
         "read_file shows more.\n";
  return msg;
}

class EditFileTool : public BuiltinTool {
 public:
  std::string name() const override { return "edit_file"; }
  std::string description() const override {
    return "Replace one exact occurrence of old_text in a file with new_text. old_text must match the file "
           "exactly (whitespace included) and occur exactly once; include surrounding lines to make it unique. "
           "To create a file or rewrite it whole, use write_file.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("path", "File path relative to the repository root.", true)
        .String("old_text", "The exact text to replace; must occur exactly once in the file.", true)
        .String("new_text", "The text to put in its place (may be empty to delete).", true)
        .Build();
  }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(ResolvedPath path, ResolvePath(context.repo_root, args.String("path")));
    if (IsInGitDir(path.relative)) return ErrorResult(path.relative + " is inside .git; the file tools do not write git's data");
    std::string old_text = args.String("old_text");
    std::string new_text = args.String("new_text");
    if (old_text.empty()) {
      return ErrorResult("old_text is empty; give the exact text to replace (to insert, include a neighbouring "
                         "line in old_text and new_text; to create a file, use write_file)");
    }
    if (old_text == new_text) return ErrorResult("old_text and new_text are the same; there is nothing to change");
    if (!path.exists) return ErrorResult("file not found: " + path.relative + "; use write_file to create it");
    auto data = ReadWholeFile(path.absolute, context.limits.max_read_bytes);
    if (!data.ok()) return ErrorResult("cannot edit " + path.relative + ": " + data.status().message());
    const std::string& file = *data;
    if (LooksBinary(file)) return ErrorResult(path.relative + " is a binary file; edit_file changes text files only");
    // Models write "\n"; a file with CRLF line ends would never match, so
    // both texts take the file's line ends.
    if (file.find("\r\n") != std::string::npos && old_text.find('\n') != std::string::npos &&
        old_text.find('\r') == std::string::npos) {
      old_text = ToCrlf(old_text);
      new_text = ToCrlf(new_text);
    }
    const std::vector<size_t> matches = FindAll(file, old_text);
    if (matches.empty()) return ErrorResult(NotFoundMessage(path.relative, file, old_text));
    if (matches.size() > 1) {
      std::string lines;
      for (size_t i = 0; i < matches.size() && i < kMaxListedMatches; ++i) {
        lines += (i == 0 ? "" : ", ") + std::to_string(LineOfOffset(file, matches[i]));
      }
      if (matches.size() > kMaxListedMatches) lines += ", ...";
      return ErrorResult("old_text occurs " + std::to_string(matches.size()) + " times in " + path.relative +
                         " (starting at lines " + lines + "); include more surrounding lines so it matches exactly once");
    }
    std::string updated = file.substr(0, matches[0]) + new_text + file.substr(matches[0] + old_text.size());
    base::Status written = AtomicWriteFile(path.absolute, updated);
    if (!written.ok()) return ErrorResult("cannot write " + path.relative + ": " + written.message());

    const size_t first = LineOfOffset(file, matches[0]);
    const size_t old_lines = SplitLines(old_text).size();
    const size_t new_lines = new_text.empty() ? 0 : SplitLines(new_text).size();
    ToolResult result;
    result.text = "Edited " + path.relative + ": replaced " + std::to_string(old_lines) + " line(s) at line " +
                  std::to_string(first) + " with " + std::to_string(new_lines) + " line(s). The file there now reads:\n";
    result.text += NumberedExcerpt(updated, first > 3 ? first - 3 : 1, first + std::min<size_t>(new_lines, 30) + 2);
    result.details = {{"path", path.relative},
                      {"line", first},
                      {"old_lines", old_lines},
                      {"new_lines", new_lines},
                      {"bytes", updated.size()}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewEditFileTool() { return std::make_unique<EditFileTool>(); }

}  // namespace tools
