// The languages the code map parses, how a file's language is recognised
// (extension, then a `#!` line for extensionless scripts), and the
// tree-sitter grammar of each. Private to tools/.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

struct TSLanguage;

namespace tools {

enum class Language : uint8_t { kC, kCpp, kPython, kJavaScript, kTypeScript, kTsx, kRust, kGo, kBash, kJson };
inline constexpr int kLanguageCount = 10;

// "C++", "TypeScript", ...: for people and the model.
std::string_view LanguageName(Language language);

// By the file name's extension (".h" counts as C++, which parses C headers
// too). nullopt for anything else, including names without an extension.
std::optional<Language> LanguageForPath(std::string_view path);

// For an extensionless file: "#!/bin/sh", "#!/usr/bin/env bash", "#!...python3"
// and the like in its first line. nullopt otherwise.
std::optional<Language> LanguageForShebang(std::string_view head);

// True when a name has no extension, so that the first line is worth a look.
bool MayHaveShebang(std::string_view path);

// The grammar, linked in from third_party/npm (never null).
const TSLanguage* Grammar(Language language);

}  // namespace tools
