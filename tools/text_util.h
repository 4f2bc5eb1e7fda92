// Text helpers shared by the tools: UTF-8 boundaries, line splitting and
// numbering. Private to tools/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

// The largest position <= pos that does not split a UTF-8 sequence.
size_t Utf8BoundaryBefore(std::string_view text, size_t pos);
// The smallest position >= pos that does not split a UTF-8 sequence.
size_t Utf8BoundaryAfter(std::string_view text, size_t pos);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD, so that
// results can always be written as JSON (the event log, --json mode).
std::string SanitizeUtf8(std::string_view text);

// The lines of `text` without their '\n'. A final line without '\n' counts;
// "a\nb\n" has two lines, "" has none.
std::vector<std::string_view> SplitLines(std::string_view text);

// "  12\tcode\n": the number right-aligned to `width` columns, a tab, the line.
std::string NumberedLine(size_t number, std::string_view line, int width);
// Columns needed for line numbers up to `last` (at least 4, as in "  12").
int LineNumberWidth(size_t last);

// The first `max_bytes` of `line` (UTF-8 safe) plus a note when it was cut;
// keeps one huge minified line from filling a grep result.
std::string ClipLine(std::string_view line, size_t max_bytes);

// True when `data` holds a NUL byte: the tools treat such files as binary.
bool LooksBinary(std::string_view data);

}  // namespace tools
