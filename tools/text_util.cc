#include "tools/text_util.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tools/tool.h"

namespace tools {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence starting at `i`, or 0 when invalid.
size_t ValidSequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (!IsContinuation(b)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid too.
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

size_t Utf8BoundaryBefore(std::string_view text, size_t pos) {
  if (pos >= text.size()) return text.size();
  // A UTF-8 sequence has at most three continuation bytes; past that the
  // bytes are not UTF-8 and any position is as good as another.
  size_t p = pos;
  for (int k = 0; k < 3 && p > 0 && IsContinuation(static_cast<unsigned char>(text[p])); ++k) --p;
  return IsContinuation(static_cast<unsigned char>(text[p])) ? pos : p;
}

size_t Utf8BoundaryAfter(std::string_view text, size_t pos) {
  if (pos >= text.size()) return text.size();
  size_t p = pos;
  for (int k = 0; k < 3 && p < text.size() && IsContinuation(static_cast<unsigned char>(text[p])); ++k) ++p;
  return p < text.size() && IsContinuation(static_cast<unsigned char>(text[p])) ? pos : p;
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = ValidSequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

int LineNumberWidth(size_t last) {
  int width = 1;
  for (size_t n = last; n >= 10; n /= 10) ++width;
  return std::max(width, 4);
}

std::string NumberedLine(size_t number, std::string_view line, int width) {
  std::string num = std::to_string(number);
  std::string out(static_cast<size_t>(std::max(0, width - static_cast<int>(num.size()))), ' ');
  out += num;
  out += '\t';
  out.append(line);
  out += '\n';
  return out;
}

std::string ClipLine(std::string_view line, size_t max_bytes) {
  if (line.size() <= max_bytes) return std::string(line);
  const size_t cut = Utf8BoundaryBefore(line, max_bytes);
  return std::string(line.substr(0, cut)) + " [... line cut, " + std::to_string(line.size() - cut) +
         " more bytes]";
}

bool LooksBinary(std::string_view data) { return data.find('\0') != std::string_view::npos; }

std::string CutHeadAndTail(std::string_view text, uint64_t max_bytes, std::string_view output_id) {
  if (text.size() <= max_bytes) return std::string(text);
  // Sized with the whole length as the omitted count: the real count is
  // smaller, so the final marker never needs more room than reserved.
  auto marker = [&](uint64_t omitted) {
    std::string m = "\n[... " + std::to_string(omitted) + " bytes omitted";
    if (!output_id.empty()) {
      m += "; read_output with output_id=\"" + std::string(output_id) + "\" shows the rest";
    }
    return m + " ...]\n";
  };
  const size_t reserve = marker(text.size()).size();
  if (max_bytes < reserve + 16) {
    // No room for a marker worth reading: keep only what fits of the head.
    return std::string(text.substr(0, Utf8BoundaryBefore(text, max_bytes)));
  }
  const size_t budget = max_bytes - reserve;
  size_t head_end = Utf8BoundaryBefore(text, budget / 2);
  size_t tail_start = Utf8BoundaryAfter(text, text.size() - (budget - budget / 2));
  // Prefer whole lines when a line break is near the cut (within a fifth
  // of each part); a line break is always a UTF-8 boundary.
  const size_t slack = budget / 10;
  const size_t nl_head = text.rfind('\n', head_end == 0 ? 0 : head_end - 1);
  if (nl_head != std::string_view::npos && nl_head + 1 + slack >= head_end && nl_head + 1 <= head_end) {
    head_end = nl_head + 1;
  }
  const size_t nl_tail = text.find('\n', tail_start);
  if (nl_tail != std::string_view::npos && nl_tail + 1 <= tail_start + slack) tail_start = nl_tail + 1;
  if (tail_start < head_end) tail_start = head_end;
  std::string out(text.substr(0, head_end));
  if (!out.empty() && out.back() == '\n') out.pop_back();  // the marker starts its own line
  out += marker(tail_start - head_end);
  out.append(text.substr(tail_start));
  return out;
}

}  // namespace tools
