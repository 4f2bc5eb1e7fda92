#include "tools/nearby_text.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tools/text_util.h"

namespace tools {
namespace {

constexpr size_t kMaxScoredBytes = 400;  // bounds the cost on minified lines
constexpr size_t kContext = 3;
constexpr size_t kMaxExcerptLines = 40;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// `s` with whitespace runs collapsed to one space and the ends trimmed;
// `origin[i]` is the offset in `s` that output byte i came from.
std::string CollapseSpace(std::string_view s, std::vector<size_t>* origin) {
  std::string out;
  bool pending = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsSpace(s[i])) {
      pending = !out.empty();
      continue;
    }
    if (pending) {
      out += ' ';
      if (origin) origin->push_back(i);
      pending = false;
    }
    out += s[i];
    if (origin) origin->push_back(i);
  }
  return out;
}

std::vector<uint16_t> Bigrams(std::string_view s) {
  std::vector<uint16_t> grams;
  const std::string norm = CollapseSpace(s.substr(0, kMaxScoredBytes), nullptr);
  for (size_t i = 0; i + 1 < norm.size(); ++i) {
    grams.push_back(static_cast<uint16_t>(static_cast<unsigned char>(norm[i]) << 8 | static_cast<unsigned char>(norm[i + 1])));
  }
  std::sort(grams.begin(), grams.end());
  return grams;
}

// Dice coefficient of two sorted bigram multisets, in [0, 1].
double Similarity(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b) {
  if (a.empty() || b.empty()) return 0;
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++common, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(a.size() + b.size());
}

}  // namespace

size_t LineOfOffset(std::string_view text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size())), '\n'));
}

std::string NumberedExcerpt(std::string_view text, size_t first, size_t last) {
  const std::vector<std::string_view> lines = SplitLines(text);
  if (lines.empty()) return "";
  first = std::max<size_t>(first, 1);
  last = std::min(last, lines.size());
  const int width = LineNumberWidth(last);
  std::string out;
  for (size_t i = first; i <= last; ++i) out += NumberedLine(i, ClipLine(lines[i - 1], kMaxScoredBytes), width);
  return out;
}

NearbyText FindNearbyText(std::string_view file, std::string_view wanted) {
  NearbyText result;
  const std::vector<std::string_view> file_lines = SplitLines(file);
  if (file_lines.empty()) return result;
  const std::vector<std::string_view> wanted_lines = SplitLines(wanted);
  const size_t span = std::max<size_t>(wanted_lines.size(), 1);

  std::vector<size_t> origin;
  const std::string flat_file = CollapseSpace(file, &origin);
  const std::string flat_wanted = CollapseSpace(wanted, nullptr);
  const size_t flat_at = flat_wanted.empty() ? std::string::npos : flat_file.find(flat_wanted);
  if (flat_at != std::string::npos) {
    result.whitespace_only = true;
    result.line = LineOfOffset(file, origin[flat_at]);
  } else {
    size_t anchor = 0;
    for (size_t k = 0; k < wanted_lines.size(); ++k) {
      if (CollapseSpace(wanted_lines[k], nullptr).size() > CollapseSpace(wanted_lines[anchor], nullptr).size()) anchor = k;
    }
    const std::vector<uint16_t> target = Bigrams(wanted_lines.empty() ? wanted : wanted_lines[anchor]);
    double best = -1;
    size_t best_line = 0;
    for (size_t j = 0; j < file_lines.size(); ++j) {
      const double score = Similarity(target, Bigrams(file_lines[j]));
      if (score > best) best = score, best_line = j;
    }
    result.line = best_line >= anchor ? best_line - anchor + 1 : 1;
  }
  const size_t first = result.line > kContext ? result.line - kContext : 1;
  const size_t last = std::min(result.line + span - 1 + kContext, first + kMaxExcerptLines - 1);
  result.excerpt = NumberedExcerpt(file, first, last);
  return result;
}

}  // namespace tools
