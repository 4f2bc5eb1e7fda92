// read_output: pages through the whole output of an earlier tool call
// whose text the model saw cut.
#include <algorithm>
#include <string>

#include "tools/builtin.h"
#include "tools/text_util.h"

namespace tools {
namespace {

// Room left in the model's budget for the header and footer lines, so a
// full page is never cut again.
constexpr uint64_t kFrameBytes = 256;
constexpr uint64_t kMinPage = 256;

class ReadOutputTool : public BuiltinTool {
 public:
  std::string name() const override { return "read_output"; }
  std::string description() const override {
    return "Read part of the full output of an earlier tool call that was cut (the cut says \"read_output with "
           "output_id=...\"). offset and length are in bytes; each call returns at most one page.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("output_id", "The output_id named in the cut output.", true)
        .Integer("offset", "Byte offset to start at. Default 0.", false, 0)
        .Integer("length", "Bytes to return. Default and maximum: one page (about the tool output budget).", false, 1)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    const std::string id = args.String("output_id");
    if (!context.lookup_output) return ErrorResult("read_output is not available here: this session keeps no stored outputs");
    base::Result<std::string> stored = context.lookup_output(id);
    if (!stored.ok()) {
      if (stored.status().code() == base::StatusCode::kNotFound) {
        return ErrorResult("no stored output has output_id \"" + id + "\"; use the id exactly as the cut output names it");
      }
      return stored.status();
    }
    const std::string& all = *stored;
    const uint64_t page = std::max(kMinPage, context.limits.model_output_bytes > kFrameBytes
                                                 ? context.limits.model_output_bytes - kFrameBytes
                                                 : kMinPage);
    const uint64_t offset = static_cast<uint64_t>(args.Int("offset").value_or(0));
    if (offset >= all.size() && !(offset == 0 && all.empty())) {
      return ErrorResult("offset " + std::to_string(offset) + " is past the end of output " + id + ", which is " +
                         std::to_string(all.size()) + " bytes");
    }
    const uint64_t length = std::min<uint64_t>(static_cast<uint64_t>(args.Int("length").value_or(static_cast<int64_t>(page))), page);
    // Whole characters only: the start moves back and the end back to a
    // UTF-8 boundary, so no page begins or ends inside one.
    const size_t begin = Utf8BoundaryBefore(all, static_cast<size_t>(offset));
    size_t end = Utf8BoundaryBefore(all, static_cast<size_t>(std::min<uint64_t>(all.size(), offset + length)));
    if (end <= begin) end = Utf8BoundaryAfter(all, begin + 1);
    ToolResult result;
    result.text = "[output " + id + ", bytes " + std::to_string(begin) + "-" + std::to_string(end) + " of " +
                  std::to_string(all.size()) + "]\n";
    result.text.append(all, begin, end - begin);
    if (!result.text.empty() && result.text.back() != '\n') result.text += '\n';
    result.text += end < all.size() ? "[more: read_output with output_id=\"" + id + "\", offset=" + std::to_string(end) + "]\n"
                                    : "[end of output]\n";
    result.details = {{"output_id", id}, {"offset", begin}, {"end", end}, {"total_bytes", all.size()}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewReadOutputTool() { return std::make_unique<ReadOutputTool>(); }

}  // namespace tools
