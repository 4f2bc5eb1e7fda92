// For an edit whose old_text is not in the file: where the file holds the
// text most like it, so the error can show the model those lines as they
// really are. Private to tools/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tools {

struct NearbyText {
  size_t line = 0;       // 1-based first line of the likely region; 0 for an empty file
  bool whitespace_only = false;  // old_text is there if whitespace is ignored
  std::string excerpt;   // numbered lines around the region
};

// The anchor is the most distinctive (longest) line of `wanted`; the file
// line most like it by character-bigram (Dice) similarity places the region.
// When `wanted` matches once whitespace runs are collapsed, that match wins.
NearbyText FindNearbyText(std::string_view file, std::string_view wanted);

// 1-based line number of byte `offset` in `text`.
size_t LineOfOffset(std::string_view text, size_t offset);

// Lines [first, last] (1-based, clamped) of `lines`, numbered.
std::string NumberedExcerpt(std::string_view text, size_t first, size_t last);

}  // namespace tools
