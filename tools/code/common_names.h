// Names so common in a language that a reference to them says nothing
// about the repository's structure: builtins (Python's `str`, Go's `len`),
// standard globals (`fetch`, `println!`) and the standard containers'
// member functions in C++ (`.get()`, `.size()`). A repository's own
// `def str(...)` or `int get() const` would otherwise collect the rank of
// every such call. Private to tools/.
#pragma once

#include <string_view>

#include "tools/code/language.h"
#include "tools/code/symbols.h"

namespace tools {

// True when a reference to `name` of this kind from a file in `language`
// should not count in the ranking (find_symbol still lists it).
bool IsCommonName(Language language, ReferenceKind kind, std::string_view name);

}  // namespace tools
