// What the code map extracts from one source file: its definitions (with
// a one-line signature and the line range they span, nested by
// containment) and the names it references. Private to tools/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/code/language.h"

namespace tools {

enum class SymbolKind : uint8_t {
  kFunction,
  kMethod,     // a function inside a class, struct, interface or impl
  kClass,
  kStruct,     // also unions
  kInterface,  // also Rust traits
  kEnum,
  kType,       // typedefs, aliases, Go named types
  kModule,     // namespaces, Rust modules
  kMacro,
  kImpl,       // a Rust impl block, named after its type
  kKey,        // a top-level JSON key
};
inline constexpr int kSymbolKindCount = 11;

enum class ReferenceKind : uint8_t {
  kCall,            // a plain call: `f(x)`, `ns::f(x)`, a shell command
  kMemberCall,      // a call through an object or module: `x.f()`, `Type::f()` in Rust
  kType,            // a type named in a declaration, `new T`, a base class
  kImplementation,  // `impl Trait for T` names Trait
};

std::string_view SymbolKindName(SymbolKind kind);
std::optional<SymbolKind> SymbolKindFromName(std::string_view name);
// "function, method, class, ...": for error messages.
std::string SymbolKindNames();
std::string_view ReferenceKindName(ReferenceKind kind);
std::optional<ReferenceKind> ReferenceKindFromName(std::string_view name);

struct Definition {
  std::string name;
  std::string signature;  // from the node's start to the end of the name's line, whitespace collapsed
  uint32_t line = 0;      // 1-based
  uint32_t end_line = 0;  // 1-based, inclusive
  int32_t parent = -1;    // index of the innermost enclosing definition in the same file
  uint16_t depth = 0;     // 0 at top level
  SymbolKind kind = SymbolKind::kFunction;
};

struct Reference {
  std::string name;
  uint32_t line = 0;  // 1-based
  ReferenceKind kind = ReferenceKind::kCall;
};

struct FileSymbols {
  std::string path;  // from the repository root
  Language language = Language::kC;
  uint64_t content_hash = 0;
  uint32_t line_count = 0;
  bool has_parse_errors = false;  // the tree held ERROR or MISSING nodes
  std::vector<Definition> definitions;  // in source order (by start, outer before inner)
  std::vector<Reference> references;    // in source order
};

}  // namespace tools
