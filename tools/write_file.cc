// write_file: creates or replaces a whole file, atomically.
#include <filesystem>
#include <string>
#include <sys/stat.h>

#include "tools/builtin.h"
#include "tools/file_io.h"
#include "tools/paths.h"
#include "tools/text_util.h"

namespace tools {
namespace {

class WriteFileTool : public BuiltinTool {
 public:
  std::string name() const override { return "write_file"; }
  std::string description() const override {
    return "Create a file, or replace a file's whole content. Parent directories are created. To change part "
           "of an existing file, prefer edit_file.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("path", "File path relative to the repository root.", true)
        .String("content", "The complete new content of the file.", true)
        .Build();
  }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(ResolvedPath path, ResolvePath(context.repo_root, args.String("path")));
    if (IsInGitDir(path.relative)) return ErrorResult(path.relative + " is inside .git; the file tools do not write git's data");
    const std::string content = args.String("content");
    struct stat st;
    const bool existed = ::stat(path.absolute.c_str(), &st) == 0;
    if (existed && S_ISDIR(st.st_mode)) return ErrorResult(path.relative + " is a directory; give a file path");
    if (existed && !S_ISREG(st.st_mode)) return ErrorResult(path.relative + " is not a regular file");
    const std::filesystem::path parent = std::filesystem::path(path.absolute).parent_path();
    std::error_code ec;
    // Safe to create: the resolver checked every existing component, and
    // the ones still missing cannot be symlinks.
    std::filesystem::create_directories(parent, ec);
    if (ec) return ErrorResult("cannot create the directory for " + path.relative + ": " + ec.message());
    base::Status written = AtomicWriteFile(path.absolute, content);
    if (!written.ok()) return ErrorResult("cannot write " + path.relative + ": " + written.message());
    const size_t lines = SplitLines(content).size();
    ToolResult result;
    result.text = std::string(existed ? "Overwrote " : "Created ") + path.relative + " (" +
                  std::to_string(content.size()) + " bytes, " + std::to_string(lines) + " lines" +
                  (existed ? "; it was " + std::to_string(st.st_size) + " bytes" : std::string()) + ")\n";
    result.details = {{"path", path.relative},
                      {"bytes_written", content.size()},
                      {"created", !existed}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewWriteFileTool() { return std::make_unique<WriteFileTool>(); }

}  // namespace tools
