// Manifest plugins: tools that are plain executables, described by a JSON
// manifest. Private to tools/; the format is documented in
// examples/plugins/README.md.
//
//   {"tools": [{"name": "word_count",
//               "description": "...",
//               "input_schema": {"type": "object", ...},
//               "command": ["python3", "${PLUGIN_DIR}/word_count.py"],
//               "read_only": true,
//               "timeout_seconds": 10}]}
//
// Each call runs `command` in the sandbox at the repository root with the
// call's arguments (one JSON object and a newline) on stdin, and reads one
// JSON object from stdout: {"content": "text for the model", "is_error":
// false}. "content" may also be an MCP content array. A nonzero exit, a
// timeout, output over the limit or output that is not that object is an
// error result saying which.
//
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tools::mcp {

struct ManifestToolSpec {
  std::string name;
  std::string description;
  nlohmann::json input_schema;       // an object schema
  std::vector<std::string> command;  // argv; ${PLUGIN_DIR} and ${REPO_ROOT} expanded
  std::optional<bool> read_only;
  double timeout_seconds = 0;  // 0: the plugin's
};

// kInvalidArgument naming `manifest_path` and the tool at fault. A relative
// command[0] containing '/' is made absolute against the manifest's
// directory.
base::Result<std::vector<ManifestToolSpec>> ParseManifest(std::string_view text, const std::string& manifest_path,
                                                          const std::string& repo_root);

struct ManifestOutput {
  bool is_error = false;
  std::string text;
};

// Reads what a manifest tool wrote on stdout; kCorruption with a message
// for the model when it is not the result object.
base::Result<ManifestOutput> ParseManifestOutput(std::string_view stdout_text);

}  // namespace tools::mcp
