#include "engine/tokenizer/unicode.h"

#include <algorithm>

namespace engine::unicode {

uint8_t ClassOf(uint32_t cp) {
  using unicode_data::kClassRunCount;
  using unicode_data::kClassRuns;
  if (cp >= 0x110000) return kUndefined;
  // Last run whose start is <= cp.
  const uint32_t key = (cp << 8) | 0xFF;
  const uint32_t* it = std::upper_bound(kClassRuns, kClassRuns + kClassRunCount, key);
  return static_cast<uint8_t>(*(it - 1) & 0xFF);  // kClassRuns[0] starts at 0
}

bool IsWhitespace(uint32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

uint32_t ToLower(uint32_t cp) {
  using unicode_data::CaseRun;
  const CaseRun* begin = unicode_data::kLowerRuns;
  const CaseRun* end = begin + unicode_data::kLowerRunCount;
  const CaseRun* it = std::upper_bound(begin, end, cp,
                                       [](uint32_t v, const CaseRun& r) { return v < r.first; });
  if (it == begin) return cp;
  const CaseRun& run = *(it - 1);
  if (cp > run.last || (cp - run.first) % run.stride != 0) return cp;
  return static_cast<uint32_t>(static_cast<int64_t>(cp) + run.delta);
}

uint32_t NfdFirst(uint32_t cp) {
  using unicode_data::NfdRun;
  const NfdRun* begin = unicode_data::kNfdRuns;
  const NfdRun* end = begin + unicode_data::kNfdRunCount;
  const NfdRun* it = std::upper_bound(begin, end, cp,
                                      [](uint32_t v, const NfdRun& r) { return v < r.first; });
  if (it == begin) return cp;
  const NfdRun& run = *(it - 1);
  return cp <= run.last ? run.nfd : cp;
}

uint32_t DecodeOneUtf8(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  const size_t i = *pos;
  auto cont = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
  const uint8_t b = s[i];
  if (b < 0x80) {
    *pos = i + 1;
    return b;
  }
  if ((b & 0xE0) == 0xC0 && cont(i + 1)) {
    *pos = i + 2;
    return (uint32_t{b & 0x1Fu} << 6) | (s[i + 1] & 0x3Fu);
  }
  if ((b & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
    *pos = i + 3;
    return (uint32_t{b & 0x0Fu} << 12) | (uint32_t{s[i + 1] & 0x3Fu} << 6) | (s[i + 2] & 0x3Fu);
  }
  if ((b & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    *pos = i + 4;
    return (uint32_t{b & 0x07u} << 18) | (uint32_t{s[i + 1] & 0x3Fu} << 12) | (uint32_t{s[i + 2] & 0x3Fu} << 6) |
           (s[i + 3] & 0x3Fu);
  }
  *pos = i + 1;
  return kReplacementChar;
}

void DecodeUtf8(std::string_view text, std::vector<uint32_t>* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t pos = 0; pos < text.size();) out->push_back(DecodeOneUtf8(text, &pos));
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    AppendUtf8(kReplacementChar, out);
  }
}

}  // namespace engine::unicode
