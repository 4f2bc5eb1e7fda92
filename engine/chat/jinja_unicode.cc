#include "engine/chat/jinja_unicode.h"

#include <algorithm>
#include <vector>

namespace engine::jinja {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Simple (1:1) upper-case mapping for the scripts we cover; identity elsewhere.
char32_t UpperOf(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 0x20;
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 0x20;
  if (c == 0xFF) return 0x178;
  if (c == 0xB5) return 0x39C;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && (c & 1)) return c - 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && !(c & 1)) return c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 0x20;
  if (c == 0x3C2) return 0x3A3;
  switch (c) {
    case 0x3AC: return 0x386;
    case 0x3AD: return 0x388;
    case 0x3AE: return 0x389;
    case 0x3AF: return 0x38A;
    case 0x3CC: return 0x38C;
    case 0x3CD: return 0x38E;
    case 0x3CE: return 0x38F;
    default: break;
  }
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) && (c & 1)) return c - 1;
  return c;
}

char32_t LowerOf(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F) {
    if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && !(c & 1) && c != 0x130) return c + 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1)) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
  switch (c) {
    case 0x386: return 0x3AC;
    case 0x388: return 0x3AD;
    case 0x389: return 0x3AE;
    case 0x38A: return 0x3AF;
    case 0x38C: return 0x3CC;
    case 0x38E: return 0x3CD;
    case 0x38F: return 0x3CE;
    default: break;
  }
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) && !(c & 1)) return c + 1;
  return c;
}

bool IsCased(char32_t c) { return UpperOf(c) != c || LowerOf(c) != c || c == 0xDF; }

std::vector<char32_t> DecodeAll(std::string_view text) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    cps.push_back(DecodeUtf8(text, i, &len));
    i += len;
  }
  return cps;
}

// ICU root primary order of the ASCII characters that are not ignorable.
constexpr std::string_view kAsciiCollationOrder =
    "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";

struct CollationUnit {
  uint32_t primary;
  bool upper;
};

std::vector<CollationUnit> CollationUnits(std::string_view text) {
  std::vector<CollationUnit> units;
  for (char32_t c : DecodeAll(text)) {
    if (c < 0x80) {
      char lower = static_cast<char>(LowerOf(c));
      size_t rank = kAsciiCollationOrder.find(lower);
      if (rank == std::string_view::npos) continue;  // control characters are ignorable
      units.push_back({static_cast<uint32_t>(rank), c >= 'A' && c <= 'Z'});
    } else {
      units.push_back({static_cast<uint32_t>(kAsciiCollationOrder.size() + c), false});
    }
  }
  return units;
}

}  // namespace

char32_t DecodeUtf8(std::string_view text, size_t pos, size_t* len) {
  *len = 1;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char b0 = byte(pos);
  if (b0 < 0x80) return b0;
  size_t need;
  char32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    need = 1;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    need = 2;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    need = 3;
    cp = b0 & 0x07;
  } else {
    return kReplacement;
  }
  if (pos + need >= text.size()) return kReplacement;
  for (size_t k = 1; k <= need; ++k) {
    unsigned char b = byte(pos + k);
    if ((b & 0xC0) != 0x80) return kReplacement;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kReplacement;
  *len = need + 1;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = kReplacement;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsJsWhitespace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

size_t JsWhitespaceLengthAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  size_t len = 1;
  char32_t cp = DecodeUtf8(text, pos, &len);
  return IsJsWhitespace(cp) ? len : 0;
}

size_t JsWhitespaceLengthBefore(std::string_view text, size_t end) {
  for (size_t len = 1; len <= 3 && len <= end; ++len) {
    size_t got = JsWhitespaceLengthAt(text, end - len);
    if (got == len) return len;
  }
  return 0;
}

std::string_view JsTrimStart(std::string_view text) {
  size_t pos = 0;
  while (size_t len = JsWhitespaceLengthAt(text, pos)) pos += len;
  return text.substr(pos);
}

std::string_view JsTrimEnd(std::string_view text) {
  size_t end = text.size();
  while (size_t len = JsWhitespaceLengthBefore(text, end)) end -= len;
  return text.substr(0, end);
}

std::string_view JsTrim(std::string_view text) { return JsTrimEnd(JsTrimStart(text)); }

size_t Utf16Length(std::string_view text) {
  size_t units = 0;
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    char32_t cp = DecodeUtf8(text, i, &len);
    units += cp >= 0x10000 ? 2 : 1;
    i += len;
  }
  return units;
}

std::string Utf16UnitAt(std::string_view text, size_t index) {
  size_t unit = 0;
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    char32_t cp = DecodeUtf8(text, i, &len);
    size_t width = cp >= 0x10000 ? 2 : 1;
    if (index < unit + width) {
      AppendUtf8(width == 2 ? kReplacement : cp, &out);
      return out;
    }
    unit += width;
    i += len;
  }
  return out;
}

int CompareUtf16(std::string_view a, std::string_view b) {
  // UTF-8 byte order equals code point order; UTF-16 differs only where a
  // supplementary code point (surrogates D800-DFFF) meets U+E000-U+FFFF.
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    size_t la = 1, lb = 1;
    char32_t ca = DecodeUtf8(a, i, &la), cb = DecodeUtf8(b, j, &lb);
    if (ca != cb) {
      auto first_unit = [](char32_t c) -> uint32_t {
        return c >= 0x10000 ? 0xD800 + ((c - 0x10000) >> 10) : c;
      };
      uint32_t ua = first_unit(ca), ub = first_unit(cb);
      if (ua != ub) return ua < ub ? -1 : 1;
      return ca < cb ? -1 : 1;  // same high surrogate: low surrogates order like code points
    }
    i += la;
    j += lb;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

std::string JsToUpper(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : DecodeAll(text)) {
    if (c == 0xDF) {
      out += "SS";
    } else {
      AppendUtf8(UpperOf(c), &out);
    }
  }
  return out;
}

std::string JsToLower(std::string_view text) {
  std::vector<char32_t> cps = DecodeAll(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    char32_t c = cps[i];
    if (c == 0x130) {
      out += "i\xCC\x87";  // i + COMBINING DOT ABOVE
    } else if (c == 0x3A3) {
      bool after_letter = i > 0 && IsCased(cps[i - 1]);
      bool before_letter = i + 1 < cps.size() && IsCased(cps[i + 1]);
      AppendUtf8(after_letter && !before_letter ? 0x3C2 : 0x3C3, &out);
    } else {
      AppendUtf8(LowerOf(c), &out);
    }
  }
  return out;
}

int JsLocaleCompare(std::string_view a, std::string_view b) {
  std::vector<CollationUnit> ua = CollationUnits(a), ub = CollationUnits(b);
  size_t n = std::min(ua.size(), ub.size());
  for (size_t i = 0; i < n; ++i) {
    if (ua[i].primary != ub[i].primary) return ua[i].primary < ub[i].primary ? -1 : 1;
  }
  if (ua.size() != ub.size()) return ua.size() < ub.size() ? -1 : 1;
  for (size_t i = 0; i < n; ++i) {
    if (ua[i].upper != ub[i].upper) return ua[i].upper ? 1 : -1;
  }
  return 0;
}

}  // namespace engine::jinja
