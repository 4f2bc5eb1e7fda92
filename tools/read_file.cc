// read_file: a file's lines, numbered, optionally a 1-based inclusive range.
#include <algorithm>
#include <string>

#include "tools/builtin.h"
#include "tools/file_io.h"
#include "tools/paths.h"
#include "tools/text_util.h"

namespace tools {
namespace {

// Turns a failed read into a message that says what to do instead.
std::string ReadProblem(const std::string& path, const base::Status& status, const ToolContext& context) {
  switch (status.code()) {
    case base::StatusCode::kNotFound:
      return "file not found: " + path + "; list_dir or glob show what exists";
    case base::StatusCode::kFailedPrecondition:
      return path + " " + status.message() + (status.message() == "is a directory" ? "; use list_dir for directories" : "");
    case base::StatusCode::kResourceExhausted:
      return path + " is too large to read: " + status.message() + " (" + std::to_string(context.limits.max_read_bytes) +
             "); use grep to find the lines you need, or run_command with sed -n 'A,Bp'";
    default:
      return "cannot read " + path + ": " + status.message();
  }
}

class ReadFileTool : public BuiltinTool {
 public:
  std::string name() const override { return "read_file"; }
  std::string description() const override {
    return "Read a text file in the repository. Lines come numbered (\"  12\\tcode\"); the numbers are not part "
           "of the file. Give start_line and end_line (1-based, inclusive) to read part of a long file.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("path", "File path relative to the repository root.", true)
        .Integer("start_line", "First line to show (1-based). Default 1.", false, 1)
        .Integer("end_line", "Last line to show (inclusive). Default: the end of the file.", false, 1)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(ResolvedPath path, ResolvePath(context.repo_root, args.String("path")));
    if (!path.exists) return ErrorResult("file not found: " + path.relative + "; list_dir or glob show what exists");
    auto data = ReadWholeFile(path.absolute, context.limits.max_read_bytes);
    if (!data.ok()) return ErrorResult(ReadProblem(path.relative, data.status(), context));
    if (LooksBinary(*data)) {
      return ErrorResult(path.relative + " is a binary file (" + std::to_string(data->size()) +
                         " bytes, contains NUL bytes); read_file shows text only");
    }
    const std::vector<std::string_view> lines = SplitLines(*data);
    const size_t total = lines.size();
    const int64_t start = args.Int("start_line").value_or(1);
    const int64_t end_arg = args.Int("end_line").value_or(std::max<int64_t>(static_cast<int64_t>(total), start));
    if (end_arg < start) {
      return ErrorResult("end_line (" + std::to_string(end_arg) + ") is before start_line (" + std::to_string(start) + ")");
    }
    ToolResult result;
    result.details = {{"path", path.relative}, {"total_lines", total}, {"bytes", data->size()}};
    if (total == 0) {
      result.text = path.relative + ": empty file (0 lines)\n";
      return result;
    }
    if (static_cast<uint64_t>(start) > total) {
      return ErrorResult("start_line " + std::to_string(start) + " is past the end of " + path.relative + ", which has " +
                         std::to_string(total) + " lines");
    }
    const size_t last = std::min<size_t>(static_cast<size_t>(end_arg), total);
    std::string header = path.relative + " (" + std::to_string(total) + " lines";
    if (start > 1 || last < total) header += "; showing lines " + std::to_string(start) + "-" + std::to_string(last);
    if (static_cast<uint64_t>(end_arg) > total && args.Has("end_line")) {
      header += "; end_line " + std::to_string(end_arg) + " is past the end";
    }
    result.text = header + ")\n";
    const int width = LineNumberWidth(last);
    for (size_t i = static_cast<size_t>(start); i <= last; ++i) result.text += NumberedLine(i, lines[i - 1], width);
    if (last < total) {
      result.text += "[" + std::to_string(total - last) + " more lines; read from start_line=" +
                     std::to_string(last + 1) + "]\n";
    }
    result.details["start_line"] = start;
    result.details["end_line"] = last;
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewReadFileTool() { return std::make_unique<ReadFileTool>(); }

}  // namespace tools
