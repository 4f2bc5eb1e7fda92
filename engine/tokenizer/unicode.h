// Unicode helpers for the tokenizers, matching llama.cpp's unicode.cpp.
//
// The classification is deliberately llama.cpp's, not a general-purpose
// one: one class per code point from its general category, a fixed
// whitespace set, simple (one-to-one) lowercase mappings, and "NFD" that
// keeps only the first code point of a decomposition. Token ids depend on
// these details. The tables live in unicode_tables.cc (generated).
//
// Threading: everything here is a pure function over constant tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

namespace unicode_data {
struct CaseRun {  // cp in [first, last] with (cp - first) % stride == 0 maps to cp + delta
  uint32_t first, last, stride;
  int32_t delta;
};
struct NfdRun {  // every cp in [first, last] decomposes to a sequence starting with nfd
  uint32_t first, last, nfd;
};
extern const uint32_t kClassRuns[];  // (start << 8) | class, sorted by start
extern const size_t kClassRunCount;
extern const CaseRun kLowerRuns[];
extern const size_t kLowerRunCount;
extern const NfdRun kNfdRuns[];
extern const size_t kNfdRunCount;
}  // namespace unicode_data

namespace unicode {

// General-category class of a code point (exactly one bit is set).
enum CodepointClass : uint8_t {
  kUndefined = 1,    // Cn, and anything beyond U+10FFFF
  kNumber = 2,       // \p{N}
  kLetter = 4,       // \p{L}
  kSeparator = 8,    // \p{Z}
  kMark = 16,        // \p{M}
  kPunctuation = 32, // \p{P}
  kSymbol = 64,      // \p{S}
  kControl = 128,    // \p{C} except Cn
};

inline constexpr uint32_t kReplacementChar = 0xFFFD;

uint8_t ClassOf(uint32_t cp);
// U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000 (the White_Space property).
bool IsWhitespace(uint32_t cp);
uint32_t ToLower(uint32_t cp);
// First code point of the canonical decomposition (cp itself if none).
uint32_t NfdFirst(uint32_t cp);

// Length of the UTF-8 sequence that `lead` starts, judged from its high
// bits alone (continuation bytes count as 1), as llama.cpp's SPM/BPE
// symbol splitting does.
inline size_t Utf8SeqLen(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Decodes UTF-8 the way llama.cpp does: each byte that does not start a
// complete sequence becomes one U+FFFD. Overlong forms are accepted.
void DecodeUtf8(std::string_view text, std::vector<uint32_t>* out);
// One code point of that decoding, starting at *pos (< text.size());
// advances *pos past it.
uint32_t DecodeOneUtf8(std::string_view text, size_t* pos);
// Appends the encoding of cp; values beyond U+10FFFF become U+FFFD.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace unicode
}  // namespace engine
