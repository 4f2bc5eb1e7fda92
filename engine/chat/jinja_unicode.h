// Text helpers that reproduce JavaScript string semantics on UTF-8 data.
//
// The reference implementation (@huggingface/jinja) runs on JavaScript
// strings: UTF-16 code units, the ECMAScript whitespace set for trim() and
// \s, and Unicode case mapping. We store strings as UTF-8 and emulate the
// parts that templates can observe. Invalid UTF-8 bytes decode as U+FFFD.
//
// Threading: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace engine::jinja {

// Decodes the code point starting at text[pos]; *len gets its byte length
// (at least 1). Malformed sequences decode as U+FFFD of length 1.
char32_t DecodeUtf8(std::string_view text, size_t pos, size_t* len);
void AppendUtf8(char32_t cp, std::string* out);

// ECMAScript WhiteSpace + LineTerminator: what trim() strips and \s matches.
bool IsJsWhitespace(char32_t cp);
// Byte length of the JS whitespace code point at text[pos], or 0.
size_t JsWhitespaceLengthAt(std::string_view text, size_t pos);
// Byte length of the JS whitespace code point ending just before text[end], or 0.
size_t JsWhitespaceLengthBefore(std::string_view text, size_t end);

std::string_view JsTrim(std::string_view text);
std::string_view JsTrimStart(std::string_view text);
std::string_view JsTrimEnd(std::string_view text);

// String.prototype.length: UTF-16 code units.
size_t Utf16Length(std::string_view text);
// String.prototype.at(index) on UTF-16 units (index already normalized to
// [0, Utf16Length)). Half of a surrogate pair comes back as U+FFFD, which is
// what writing such a string out as UTF-8 produces.
std::string Utf16UnitAt(std::string_view text, size_t index);
// JS `<` on strings: UTF-16 code unit order. Returns <0, 0, >0.
int CompareUtf16(std::string_view a, std::string_view b);

// toUpperCase / toLowerCase. Full for ASCII, Latin-1, Latin Extended-A,
// Greek and Cyrillic (plus ß -> SS, İ -> i̇ and Greek final sigma); other
// scripts pass through unchanged.
std::string JsToUpper(std::string_view text);
std::string JsToLower(std::string_view text);

// String.prototype.localeCompare in node's default (en-US, ICU root)
// collation, for ASCII: controls are ignored, then whitespace < punctuation
// < symbols < digits < letters, case-insensitively first and lowercase
// before uppercase on ties. Non-ASCII code points sort after ASCII letters
// by code point (ICU would interleave accented letters).
int JsLocaleCompare(std::string_view a, std::string_view b);

}  // namespace engine::jinja
