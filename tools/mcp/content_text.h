// MCP tool-call results as text for the model. Private to tools/.
//
// content[] items become text in order, one after another: text items as
// they are; images and audio as a one-line note (the model reads text
// only); resource links as their name and URI; embedded resources as their
// text, or a note for a blob; unknown types as a note naming the type.
// With no content at all, structuredContent is shown as JSON.
//
// Threading: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tools::mcp {

// `result` is a CallToolResult object; anything malformed in it is shown
// as a note rather than failing.
std::string RenderCallResult(const nlohmann::json& result);

}  // namespace tools::mcp
