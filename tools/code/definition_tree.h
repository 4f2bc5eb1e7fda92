// Turns a file's raw query matches into its symbol lists: one definition
// per node and name (the first matching pattern's kind wins), nested by
// containment (functions inside classes become methods), names reduced
// to the identifier (`ns::Foo::bar` -> `bar`, `Vec<T>` -> `Vec`), and
// references that are really a definition's own name dropped. Private to
// tools/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/code/symbols.h"

namespace tools {

// Where a node lies: bytes [start_byte, end_byte), 0-based rows, end_row
// the last row holding any of the node.
struct NodeSpan {
  uint32_t start_byte = 0;
  uint32_t end_byte = 0;
  uint32_t start_row = 0;
  uint32_t end_row = 0;
};

class DefinitionCollector {
 public:
  // Without `nested_functions` (C, C++), whatever is "defined" inside a
  // function is dropped: local prototypes, C++'s most vexing parse
  // (`std::vector<int> v(n);` reads as a function declaration), local
  // structs and aliases are no part of the file's outline.
  DefinitionCollector(std::string_view content, bool nested_functions)
      : content_(content), nested_functions_(nested_functions) {}

  // `pattern` is the query pattern's index: lower wins among duplicates.
  void AddDefinition(const NodeSpan& node, const NodeSpan& name, SymbolKind kind, uint32_t pattern);
  void AddReference(const NodeSpan& name, ReferenceKind kind);
  // Definitions come out in source order, outer before inner.
  void Finish(std::vector<Definition>* definitions, std::vector<Reference>* references);

 private:
  struct RawDefinition {
    NodeSpan node;
    NodeSpan name;
    SymbolKind kind;
    uint32_t pattern;
  };
  struct RawReference {
    NodeSpan name;
    ReferenceKind kind;
  };
  std::string_view content_;
  bool nested_functions_;
  std::vector<RawDefinition> definitions_;
  std::vector<RawReference> references_;
};

// The identifier a name node's text stands for; empty when there is none.
std::string_view NormalizeName(std::string_view text);

// The node's text up to the end of the line holding its name (or the
// node's end; only the first line when the name comes more than two lines
// later), on one line (whitespace runs collapsed), clipped to a readable
// length, with a short keyword prefix before the node on its first line
// (`export`, Go's `type`).
std::string Signature(std::string_view content, const NodeSpan& node, const NodeSpan& name);

}  // namespace tools
