// The reference's builtins: string and object methods, `is` tests, value
// ordering for sort/dictsort, and the global functions (range, namespace,
// raise_exception, strftime_now).
//
// Threading: pure functions, safe from any thread; the functions they
// create are confined to the render that uses them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "engine/chat/jinja_eval.h"
#include "engine/chat/jinja_value.h"

namespace engine::jinja {

// `"abc".upper`, `"abc".length`, ... ; nullopt when there is no such member.
std::optional<Value> StringMember(const Value& text, std::string_view name, const Limits& limits);
// `obj.get`, `obj.items`, `obj.keys`, `obj.values`, `obj.dictsort`.
std::optional<Value> ObjectMember(const Value& object, std::string_view name);

// Runs test `name` on `operand`; `arg` is the comparison value selectattr
// passes (nullptr when there is none). Unknown tests are errors.
base::Result<bool> RunTest(std::string_view name, const Value& operand, const Value* arg);
bool IsKnownTest(std::string_view name);

// The reference's compareRuntimeValues: numbers (and bools) with numbers,
// strings with strings (lower-cased unless case_sensitive), none with none.
base::Result<int> CompareValues(const Value& a, const Value& b, bool case_sensitive);
// Stable sort by CompareValues of each item's key; fails if any two keys
// are incomparable (the reference would throw mid-sort).
base::Result<std::vector<Value>> SortByKey(const std::vector<Value>& items, const std::vector<Value>& keys,
                                           bool case_sensitive, bool reverse);
// "a.b.0" through objects, namespaces and array indices; undefined if absent.
Value GetAttributePath(const Value& item, std::string_view path);

// Python's str.replace as the reference implements it (count < 0: all);
// an empty `old_text` matches between every two code points.
base::Result<std::string> ReplaceString(std::string_view text, std::string_view old_text,
                                        std::string_view new_text, double count, size_t max_bytes);
// Wraps a native function as a callable value.
Value MakeFunction(std::string name, NativeFunction fn);
// Splits args into positional values and the trailing keyword bundle.
std::pair<std::vector<Value>, const ObjectData*> SplitKeywordArgs(const std::vector<Value>& args);
// `name` from the positional slot `index`, else keyword `name`, else nullptr.
const Value* ArgOrKeyword(const std::vector<Value>& positional, size_t index, const ObjectData* kwargs,
                          std::string_view name);

// Namespaces are the only mutable values, so every reference cycle a
// template can build (`{% set ns.self = ns %}`) runs through one. The
// tracker empties them all once a render is over, which frees the cycles.
class NamespaceTracker {
 public:
  NamespaceTracker() = default;
  NamespaceTracker(const NamespaceTracker&) = delete;
  NamespaceTracker& operator=(const NamespaceTracker&) = delete;
  ~NamespaceTracker() { ClearAll(); }

  void Track(const std::shared_ptr<ObjectData>& ns) { namespaces_.push_back(ns); }
  void ClearAll();

 private:
  std::vector<std::weak_ptr<ObjectData>> namespaces_;
};

// The builtin `namespace(...)`; `tracker` must outlive the render.
Value NamespaceFunction(NamespaceTracker* tracker);

// The global scope: true/false/none (and title-case forms), range,
// raise_exception, strftime_now, namespace, then `context` (which may not
// redefine those, as in the reference).
base::Result<EnvPtr> MakeGlobals(std::vector<std::pair<std::string, Value>> context, const base::Clock* clock,
                                 const Limits& limits, NamespaceTracker* tracker);

}  // namespace engine::jinja
