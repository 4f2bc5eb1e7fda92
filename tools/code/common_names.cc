#include "tools/code/common_names.h"

#include <string_view>
#include <unordered_set>

namespace tools {
namespace {

using NameSet = std::unordered_set<std::string_view>;

const NameSet& PythonBuiltins() {
  static const NameSet names = {
      "abs",       "all",        "any",       "bool",      "bytes",     "callable",   "chr",      "classmethod",
      "dict",      "dir",        "enumerate", "filter",    "float",     "format",     "frozenset", "getattr",
      "hasattr",   "hash",       "id",        "input",     "int",       "isinstance", "issubclass", "iter",
      "len",       "list",       "map",       "max",       "min",       "next",       "object",   "open",
      "ord",       "pow",        "print",     "property",  "range",     "repr",       "reversed", "round",
      "set",       "setattr",    "slice",     "sorted",    "staticmethod", "str",     "sum",      "super",
      "tuple",     "type",       "vars",      "zip",       "Exception", "ValueError", "TypeError", "KeyError",
      "RuntimeError"};
  return names;
}

// Methods of str, list, dict, set and files.
const NameSet& PythonMembers() {
  static const NameSet names = {
      "append", "add",     "clear",  "close",  "copy",       "count",  "decode",   "encode",     "endswith",
      "extend", "find",    "format", "get",    "index",      "insert", "items",    "join",       "keys",
      "lower",  "lstrip",  "pop",    "read",   "readline",   "remove", "replace",  "rstrip",     "setdefault",
      "sort",   "split",   "splitlines", "startswith", "strip", "update", "upper", "values",     "write"};
  return names;
}

const NameSet& ScriptGlobals() {
  static const NameSet names = {
      "require", "fetch",  "parseInt", "parseFloat", "setTimeout", "clearTimeout", "setInterval", "Number",
      "String",  "Boolean", "Array",   "Object",     "Promise",    "Map",          "Set",         "Date",
      "Error",   "JSON",   "Math",     "RegExp",     "Symbol",     "Record",       "Partial",     "Readonly",
      "log",     "push",   "map",      "filter",     "forEach",    "then",         "catch",       "join"};
  return names;
}

const NameSet& GoBuiltins() {
  static const NameSet names = {"append", "cap",    "close",   "copy",   "delete", "len",   "make",  "new",
                                "panic",  "print",  "println", "recover", "int",  "int64", "int32", "uint",
                                "uint64", "uint32", "string",  "error",  "bool",   "byte",  "rune",  "float64",
                                "any",    "Errorf", "Sprintf", "Printf", "Println"};
  return names;
}

const NameSet& RustPrelude() {
  static const NameSet names = {"println", "print",   "eprintln", "format",    "vec",    "panic",   "assert",
                                "assert_eq", "assert_ne", "write",  "writeln",   "Some",   "Ok",      "Err",
                                "Box",     "Vec",     "String",   "Option",    "Result", "Self",    "clone",
                                "unwrap",  "expect",  "to_string", "into",     "iter",   "collect", "map",
                                "new",     "len",     "push"};
  return names;
}

// The standard library's member functions that repositories reuse as
// names of their own.
const NameSet& CppStandardMembers() {
  static const NameSet names = {"size",  "get",    "data",   "begin",  "end",    "empty", "push_back", "emplace_back",
                                "c_str", "find",   "insert", "erase",  "clear",  "reset", "count",     "at",
                                "front", "back",   "append", "substr", "length", "str",   "swap",      "release",
                                "load",  "store",  "lock",   "unlock", "value",  "emplace", "resize",  "reserve"};
  return names;
}

}  // namespace

bool IsCommonName(Language language, ReferenceKind kind, std::string_view name) {
  switch (language) {
    case Language::kPython:
      return (kind == ReferenceKind::kMemberCall ? PythonMembers() : PythonBuiltins()).count(name) > 0;
    case Language::kJavaScript:
    case Language::kTypeScript:
    case Language::kTsx: return ScriptGlobals().count(name) > 0;
    case Language::kGo: return GoBuiltins().count(name) > 0;
    case Language::kRust: return RustPrelude().count(name) > 0;
    case Language::kC:
    case Language::kCpp:
      return kind != ReferenceKind::kType && CppStandardMembers().count(name) > 0;
    case Language::kBash:
    case Language::kJson: return false;
  }
  return false;
}

}  // namespace tools
