// The three code map tools and what they share. Private to tools/.
//
// code_map: the ranked outline of the repository within a token budget.
// find_symbol: the definitions and references of one name.
// outline_file: one file's definitions, nested, with line ranges.
// All three only read, and share one CodeIndex (BuiltinTools makes it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/code/code_index.h"
#include "tools/code/path_filter.h"
#include "tools/tool.h"

namespace tools {

std::unique_ptr<Tool> NewCodeMapTool(std::shared_ptr<CodeIndex> index);
std::unique_ptr<Tool> NewFindSymbolTool(std::shared_ptr<CodeIndex> index);
std::unique_ptr<Tool> NewOutlineFileTool(std::shared_ptr<CodeIndex> index);

inline constexpr size_t kDefaultMapTokens = 2048;
inline constexpr size_t kMinMapTokens = 128;

// Restart weights for RankSymbols: the session's touched files by recency
// (1, 1/2, 1/3, ... most recent first) plus 1 for each file `focus`
// matches. Paths that are not indexed are ignored.
std::vector<double> SessionBias(const CodeSnapshot& snapshot, const std::vector<std::string>& touched,
                                const PathFilter& focus);

// "C, C++, Python, ...": what the code tools can read, for messages.
std::string SupportedLanguages();

// The refresh's counts for a result's details.
nlohmann::json RefreshDetails(const RefreshStats& stats);

}  // namespace tools
