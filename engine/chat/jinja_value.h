// Runtime values of the Jinja interpreter.
//
// They mirror the reference implementation's (@huggingface/jinja) value
// classes, because templates can observe the differences: integers and
// floats are both doubles but print differently ("1" vs "1.0"), tuples are
// arrays that cannot be serialized, objects keep insertion order, and `==`
// follows JavaScript's loose equality on the underlying values.
//
// Strings, arrays, objects and functions are shared, immutable payloads;
// copying a Value is cheap. Namespaces are the one mutable kind
// (`{% set ns.x = ... %}`), shared by reference like in the reference.
//
// Threading: Values are confined to the render that created them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace engine::jinja {

class Value;
struct Env;
using EnvPtr = std::shared_ptr<Env>;

enum class ValueKind : uint8_t {
  kUndefined,
  kNull,
  kBool,
  kInteger,
  kFloat,
  kString,
  kArray,
  kObject,
  kNamespace,
  kFunction,
};

struct ArrayData;
class ObjectData;
struct FunctionData;

class Value {
 public:
  Value() = default;  // undefined
  static Value Null();
  static Value Bool(bool b);
  static Value Integer(double x);
  static Value Float(double x);
  static Value String(std::string s);
  static Value Array(std::vector<Value> items);
  static Value Tuple(std::vector<Value> items);
  static Value Object(std::shared_ptr<ObjectData> data);
  static Value Namespace(std::shared_ptr<ObjectData> data);
  static Value Function(std::shared_ptr<const FunctionData> fn);

  ValueKind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == ValueKind::kUndefined; }
  bool is_null() const { return kind_ == ValueKind::kNull; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }
  bool is_integer() const { return kind_ == ValueKind::kInteger; }
  bool is_float() const { return kind_ == ValueKind::kFloat; }
  bool is_number() const { return is_integer() || is_float(); }
  bool is_string() const { return kind_ == ValueKind::kString; }
  bool is_array() const { return kind_ == ValueKind::kArray; }  // tuples included
  bool is_tuple() const;
  bool is_object() const { return kind_ == ValueKind::kObject; }  // keyword bundles included
  bool is_kwargs() const;
  bool is_namespace() const { return kind_ == ValueKind::kNamespace; }
  bool is_function() const { return kind_ == ValueKind::kFunction; }

  // Integer, float, or bool as 0/1.
  double number() const { return number_; }
  bool boolean() const { return number_ != 0; }
  const std::string& str() const;
  const ArrayData& array() const;
  // Objects and namespaces. Only namespaces may be mutated through it.
  ObjectData& object() const;
  const FunctionData& function() const;
  // The shared payload, for reference-identity comparisons.
  const void* identity() const;
  // Container nesting: 0 for scalars, 1 + the deepest element otherwise.
  // Bounding it keeps recursive destruction and printing off the stack's end.
  uint32_t depth() const;

 private:
  using Payload = std::variant<std::monostate, std::shared_ptr<const std::string>,
                               std::shared_ptr<const ArrayData>, std::shared_ptr<ObjectData>,
                               std::shared_ptr<const FunctionData>>;
  Value(ValueKind kind, double number, Payload payload)
      : kind_(kind), number_(number), payload_(std::move(payload)) {}

  ValueKind kind_ = ValueKind::kUndefined;
  double number_ = 0;
  Payload payload_;
};

struct ArrayData {
  std::vector<Value> items;
  bool is_tuple = false;
  uint32_t depth = 1;
};

// Insertion-ordered string-keyed map (JavaScript Map semantics: assigning an
// existing key keeps its position).
class ObjectData {
 public:
  ObjectData() = default;
  explicit ObjectData(bool is_kwargs) : is_kwargs_(is_kwargs) {}

  const Value* Find(std::string_view key) const;
  void Set(std::string key, Value value);
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool is_kwargs() const { return is_kwargs_; }
  void Clear() {
    entries_.clear();
    index_.clear();
    depth_ = 1;
  }
  // 1 + the deepest value ever stored (it does not shrink on overwrite).
  uint32_t depth() const { return depth_; }

 private:
  static constexpr size_t kIndexThreshold = 12;  // linear search below this
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
  bool is_kwargs_ = false;
  uint32_t depth_ = 1;
};

// A callable: builtin, macro, bound method or `caller`. `args` holds the
// positional arguments, followed by one keyword bundle (is_kwargs) when the
// call had keyword arguments. `call_env` is the scope of the call site.
using NativeFunction =
    std::function<base::Result<Value>(std::vector<Value>& args, const EnvPtr& call_env)>;

struct FunctionData {
  std::string name;
  NativeFunction call;
};

// The reference's class names ("StringValue", "TupleValue", ...), for errors.
std::string_view TypeName(const Value& v);

// Python-style truthiness (__bool__): empty arrays/objects/strings, 0, NaN,
// none and undefined are false; namespaces and functions are true.
bool Truthy(const Value& v);
// JavaScript truthiness of the underlying value: every array, object,
// namespace and function is true.
bool JsTruthy(const Value& v);

// How a value prints in output (RuntimeValue.toString): floats keep ".0",
// bools print "true"/"false", arrays and objects print as JSON. Fails for
// tuples, keyword bundles and functions, which the reference cannot print.
base::Result<std::string> ToOutputString(const Value& v);
// JavaScript toString of the underlying value, used by `~` and string `+`:
// numbers print without ".0", arrays join their elements' output strings
// with ",", objects print "[object Map]".
base::Result<std::string> RawToString(const Value& v);
// Array.prototype.join's conversion of one raw element: none/undefined give "".
base::Result<std::string> JoinElementString(const Value& v);

// JavaScript `==` on the underlying values (`1 == "1"`, `none == undefined`,
// containers by identity).
base::Result<bool> LooseEquals(const Value& a, const Value& b);
// JavaScript `===` on the underlying values (1 === 1.0; containers by identity).
bool StrictEquals(const Value& a, const Value& b);

}  // namespace engine::jinja
