#include "tools/code/language.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

extern "C" {
const TSLanguage* tree_sitter_bash(void);
const TSLanguage* tree_sitter_c(void);
const TSLanguage* tree_sitter_cpp(void);
const TSLanguage* tree_sitter_go(void);
const TSLanguage* tree_sitter_javascript(void);
const TSLanguage* tree_sitter_json(void);
const TSLanguage* tree_sitter_python(void);
const TSLanguage* tree_sitter_rust(void);
const TSLanguage* tree_sitter_tsx(void);
const TSLanguage* tree_sitter_typescript(void);
}

namespace tools {
namespace {

struct Extension {
  std::string_view suffix;
  Language language;
};

// CUDA sources parse as C++ with a few ERROR nodes around `<<<...>>>`,
// which is enough for their definitions.
constexpr std::array kExtensions = {
    Extension{".c", Language::kC},          Extension{".h", Language::kCpp},
    Extension{".cc", Language::kCpp},       Extension{".cpp", Language::kCpp},
    Extension{".cxx", Language::kCpp},      Extension{".c++", Language::kCpp},
    Extension{".hh", Language::kCpp},       Extension{".hpp", Language::kCpp},
    Extension{".hxx", Language::kCpp},      Extension{".inl", Language::kCpp},
    Extension{".ipp", Language::kCpp},      Extension{".cu", Language::kCpp},
    Extension{".cuh", Language::kCpp},      Extension{".py", Language::kPython},
    Extension{".pyi", Language::kPython},   Extension{".js", Language::kJavaScript},
    Extension{".mjs", Language::kJavaScript}, Extension{".cjs", Language::kJavaScript},
    Extension{".jsx", Language::kJavaScript}, Extension{".ts", Language::kTypeScript},
    Extension{".mts", Language::kTypeScript}, Extension{".cts", Language::kTypeScript},
    Extension{".tsx", Language::kTsx},      Extension{".rs", Language::kRust},
    Extension{".go", Language::kGo},        Extension{".sh", Language::kBash},
    Extension{".bash", Language::kBash},    Extension{".json", Language::kJson},
};

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view LanguageName(Language language) {
  switch (language) {
    case Language::kC: return "C";
    case Language::kCpp: return "C++";
    case Language::kPython: return "Python";
    case Language::kJavaScript: return "JavaScript";
    case Language::kTypeScript: return "TypeScript";
    case Language::kTsx: return "TSX";
    case Language::kRust: return "Rust";
    case Language::kGo: return "Go";
    case Language::kBash: return "Bash";
    case Language::kJson: return "JSON";
  }
  return "?";
}

std::optional<Language> LanguageForPath(std::string_view path) {
  const std::string_view name = BaseName(path);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string suffix(name.substr(dot));
  for (char& c : suffix) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  for (const Extension& e : kExtensions) {
    if (e.suffix == suffix) return e.language;
  }
  return std::nullopt;
}

bool MayHaveShebang(std::string_view path) { return BaseName(path).find('.') == std::string_view::npos; }

std::optional<Language> LanguageForShebang(std::string_view head) {
  if (head.substr(0, 2) != "#!") return std::nullopt;
  const std::string_view line = head.substr(2, head.find('\n') == std::string_view::npos ? head.npos : head.find('\n') - 2);
  std::vector<std::string_view> words;
  for (size_t i = 0; i < line.size();) {
    const size_t start = line.find_first_not_of(" \t\r", i);
    if (start == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t\r", start), line.size());
    words.push_back(line.substr(start, end - start));
    i = end;
  }
  // "/bin/sh -e" names the interpreter first; "/usr/bin/env -S bash -e"
  // names it as env's first operand.
  size_t at = 0;
  if (!words.empty() && BaseName(words[0]) == "env") {
    at = 1;
    while (at < words.size() && words[at].substr(0, 1) == "-") ++at;
  }
  if (at >= words.size()) return std::nullopt;
  const std::string_view program = BaseName(words[at]);
  if (program == "sh" || program == "bash" || program == "dash" || program == "ksh") return Language::kBash;
  if (program.substr(0, 6) == "python") return Language::kPython;
  if (program == "node" || program == "nodejs") return Language::kJavaScript;
  return std::nullopt;
}

const TSLanguage* Grammar(Language language) {
  switch (language) {
    case Language::kC: return tree_sitter_c();
    case Language::kCpp: return tree_sitter_cpp();
    case Language::kPython: return tree_sitter_python();
    case Language::kJavaScript: return tree_sitter_javascript();
    case Language::kTypeScript: return tree_sitter_typescript();
    case Language::kTsx: return tree_sitter_tsx();
    case Language::kRust: return tree_sitter_rust();
    case Language::kGo: return tree_sitter_go();
    case Language::kBash: return tree_sitter_bash();
    case Language::kJson: return tree_sitter_json();
  }
  return tree_sitter_json();
}

}  // namespace tools
