// tools/: the agent's tools (DESIGN.md section 6).
//
// A Tool has a name, a description, a JSON schema for its arguments, an
// `is_mutating` flag (true unless the tool says otherwise: an unknown tool
// is assumed to change things), and a Run method. Run never throws and
// never aborts: bad arguments, a missing file, a refused path or a failing
// command all come back as a ToolResult with is_error set, whose text is
// written for the model to read and act on. A non-OK Status from Run means
// an internal fault (the agent stops the turn), not a failed tool.
//
// Every path argument is resolved inside ToolContext::repo_root; `..`
// traversal and symlinks that lead outside are refused.
//
// Conventions of the built-in tools (BuiltinTools):
// - arguments are checked against the schema first (unknown names, missing
//   required ones and wrong types are tool errors naming the argument);
// - every result's text goes through CutHeadAndTail with
//   limits.model_output_bytes and context.output_id, so `truncated` is set
//   exactly when the model saw less than full_output;
// - text is valid UTF-8 (invalid bytes become U+FFFD) in text and
//   full_output alike, so offsets given to read_output match full_output;
// - list_dir, glob and grep skip what git ignores (.gitignore,
//   .git/info/exclude; tracked files stay visible) and always hide .git;
//   outside a git work tree no ignore rules apply;
// - code_map, find_symbol and outline_file parse source files with
//   tree-sitter through one index shared per BuiltinTools() call, which
//   re-parses only files whose content changed; code_map fits its
//   max_tokens budget (and the byte budget) rather than being cut;
// - run_command runs one string with `/bin/sh -c` at the repository root.
//   A command that ran is never is_error, whatever its exit code (the
//   first line says "exit code N"); is_error means it could not run (the
//   sandbox refused, e.g. a required layer is missing).
//
// Threading: Tools are immutable after construction (the code tools'
// shared index is a cache that guards itself); Run may be called from
// several threads at once with different contexts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tools {

struct ToolLimits {
  // Text shown to the model per result; longer output is cut head-and-tail
  // ("[... N bytes omitted; read_output id=... shows the rest ...]") and
  // kept whole in ToolResult::full_output for the event log.
  uint64_t model_output_bytes = 16 * 1024;
  double command_timeout_seconds = 120;
  uint64_t command_output_cap_bytes = 4 * 1024 * 1024;  // per stream, kept
  uint64_t max_read_bytes = 8 * 1024 * 1024;            // read_file, grep per file
  int max_matches = 200;                                // grep, glob, list_dir entries
};

// Looks up the whole output of an earlier tool result by its output id
// (what read_output pages through). NotFound for an unknown id.
using OutputLookup = std::function<base::Result<std::string>(std::string_view output_id)>;

struct ToolContext {
  std::string repo_root;  // absolute and canonical
  ToolLimits limits;
  bool allow_network = false;      // run_command
  bool allow_degraded_sandbox = false;  // run_command: run with the layers the kernel has
  std::string helper_binary;       // the longhaul binary for the sandbox helper; empty: this process's
  OutputLookup lookup_output;      // may be empty: read_output then reports it is unavailable
  std::string output_id;           // the id this call's full output will be stored under
  std::vector<std::string> touched_files;  // repo-relative paths the session has read or changed, most recent first; biases code_map's ranking
};

struct ToolResult {
  bool is_error = false;
  std::string text;         // what the model sees (already cut to limits.model_output_bytes)
  std::string full_output;  // the whole output for the event log (== text when nothing was cut)
  bool truncated = false;
  nlohmann::json details;   // structured facts for front ends and the log (exit code, path, ...)
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // A JSON schema object: {"type":"object","properties":{...},"required":[...]}.
  virtual nlohmann::json parameters_schema() const = 0;
  // True unless the tool only reads. The agent asks before a mutating call
  // under --approve ask.
  virtual bool is_mutating() const { return true; }
  // `arguments` is the parsed JSON the model gave (not yet validated).
  virtual base::Result<ToolResult> Run(const nlohmann::json& arguments, const ToolContext& context) const = 0;
};

// The built-in tools, sorted by name: code_map, edit_file, find_symbol,
// git_diff, git_log, git_show, git_status, glob, grep, list_dir,
// outline_file, read_file, read_output, run_command, write_file. The three
// code tools share one CodeIndex per call of BuiltinTools.
std::vector<std::unique_ptr<Tool>> BuiltinTools();

// Cuts `text` to at most `max_bytes` keeping the head and the tail (on
// UTF-8 boundaries, on line breaks when one is near) with a marker naming
// the omitted byte count and, when `output_id` is not empty, how to read
// the rest with read_output. A budget too small for the marker keeps only
// the head.
std::string CutHeadAndTail(std::string_view text, uint64_t max_bytes, std::string_view output_id);

}  // namespace tools
