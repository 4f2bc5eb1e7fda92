#include "engine/chat/jinja_value.h"

#include <algorithm>
#include <cmath>

#include "engine/chat/jinja_json.h"
#include "engine/chat/jinja_number.h"

namespace engine::jinja {

Value Value::Null() { return Value(ValueKind::kNull, 0, {}); }
Value Value::Bool(bool b) { return Value(ValueKind::kBool, b ? 1 : 0, {}); }
Value Value::Integer(double x) { return Value(ValueKind::kInteger, x, {}); }
Value Value::Float(double x) { return Value(ValueKind::kFloat, x, {}); }
Value Value::String(std::string s) {
  return Value(ValueKind::kString, 0, std::make_shared<const std::string>(std::move(s)));
}
namespace {

std::shared_ptr<const ArrayData> NewArrayData(std::vector<Value> items, bool is_tuple) {
  auto data = std::make_shared<ArrayData>();
  for (const Value& item : items) data->depth = std::max(data->depth, item.depth() + 1);
  data->items = std::move(items);
  data->is_tuple = is_tuple;
  return data;
}

}  // namespace

Value Value::Array(std::vector<Value> items) {
  return Value(ValueKind::kArray, 0, NewArrayData(std::move(items), false));
}
Value Value::Tuple(std::vector<Value> items) {
  return Value(ValueKind::kArray, 0, NewArrayData(std::move(items), true));
}
Value Value::Object(std::shared_ptr<ObjectData> data) {
  return Value(ValueKind::kObject, 0, std::move(data));
}
Value Value::Namespace(std::shared_ptr<ObjectData> data) {
  return Value(ValueKind::kNamespace, 0, std::move(data));
}
Value Value::Function(std::shared_ptr<const FunctionData> fn) {
  return Value(ValueKind::kFunction, 0, std::move(fn));
}

uint32_t Value::depth() const {
  switch (kind_) {
    case ValueKind::kArray: return array().depth;
    case ValueKind::kObject:
    case ValueKind::kNamespace: return object().depth();
    default: return 0;
  }
}

bool Value::is_tuple() const { return is_array() && array().is_tuple; }
bool Value::is_kwargs() const { return is_object() && object().is_kwargs(); }

const std::string& Value::str() const {
  return *std::get<std::shared_ptr<const std::string>>(payload_);
}
const ArrayData& Value::array() const { return *std::get<std::shared_ptr<const ArrayData>>(payload_); }
ObjectData& Value::object() const { return *std::get<std::shared_ptr<ObjectData>>(payload_); }
const FunctionData& Value::function() const {
  return *std::get<std::shared_ptr<const FunctionData>>(payload_);
}

const void* Value::identity() const {
  return std::visit(
      [](const auto& p) -> const void* {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, std::monostate>) {
          return nullptr;
        } else {
          return p.get();
        }
      },
      payload_);
}

const Value* ObjectData::Find(std::string_view key) const {
  if (!index_.empty()) {
    auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void ObjectData::Set(std::string key, Value value) {
  depth_ = std::max(depth_, value.depth() + 1);
  if (!index_.empty()) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      entries_[it->second].second = std::move(value);
      return;
    }
    index_.emplace(key, entries_.size());
    entries_.emplace_back(std::move(key), std::move(value));
    return;
  }
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
  if (entries_.size() > kIndexThreshold) {
    for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  }
}

std::string_view TypeName(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined: return "UndefinedValue";
    case ValueKind::kNull: return "NullValue";
    case ValueKind::kBool: return "BooleanValue";
    case ValueKind::kInteger: return "IntegerValue";
    case ValueKind::kFloat: return "FloatValue";
    case ValueKind::kString: return "StringValue";
    case ValueKind::kArray: return v.is_tuple() ? "TupleValue" : "ArrayValue";
    case ValueKind::kObject: return v.is_kwargs() ? "KeywordArgumentsValue" : "ObjectValue";
    case ValueKind::kNamespace: return "NamespaceValue";
    case ValueKind::kFunction: return "FunctionValue";
  }
  return "UnknownValue";
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNull:
      return false;
    case ValueKind::kBool:
      return v.boolean();
    case ValueKind::kInteger:
    case ValueKind::kFloat:
      return v.number() != 0 && !std::isnan(v.number());
    case ValueKind::kString:
      return !v.str().empty();
    case ValueKind::kArray:
      return !v.array().items.empty();
    case ValueKind::kObject:
      return v.object().size() > 0;
    case ValueKind::kNamespace:
    case ValueKind::kFunction:
      return true;
  }
  return false;
}

bool JsTruthy(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kArray:
    case ValueKind::kObject:
      return true;
    default:
      return Truthy(v);
  }
}

base::Result<std::string> ToOutputString(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined: return std::string("undefined");
    case ValueKind::kNull: return std::string("null");
    case ValueKind::kBool: return std::string(v.boolean() ? "true" : "false");
    case ValueKind::kInteger: return JsNumberToString(v.number());
    case ValueKind::kFloat: return JsFloatToString(v.number());
    case ValueKind::kString: return v.str();
    case ValueKind::kArray:
    case ValueKind::kObject:
    case ValueKind::kNamespace: {
      JsonFormat format;
      format.undefined_as_null = false;
      return ToJson(v, format);
    }
    case ValueKind::kFunction: break;
  }
  return base::InvalidArgument("cannot print a FunctionValue");
}

base::Result<std::string> RawToString(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kInteger:
    case ValueKind::kFloat:
      return JsNumberToString(v.number());
    case ValueKind::kArray: {
      std::string out;
      bool first = true;
      for (const Value& item : v.array().items) {
        if (!first) out.push_back(',');
        first = false;
        ASSIGN_OR_RETURN(std::string s, ToOutputString(item));
        out += s;
      }
      return out;
    }
    case ValueKind::kObject:
    case ValueKind::kNamespace:
      return std::string("[object Map]");
    default:
      return ToOutputString(v);
  }
}

base::Result<std::string> JoinElementString(const Value& v) {
  if (v.is_null() || v.is_undefined()) return std::string();
  return RawToString(v);
}

namespace {

enum class RawType { kUndefined, kNull, kBoolean, kNumber, kString, kObject };

RawType RawTypeOf(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined: return RawType::kUndefined;
    case ValueKind::kNull: return RawType::kNull;
    case ValueKind::kBool: return RawType::kBoolean;
    case ValueKind::kInteger:
    case ValueKind::kFloat: return RawType::kNumber;
    case ValueKind::kString: return RawType::kString;
    default: return RawType::kObject;
  }
}

}  // namespace

base::Result<bool> LooseEquals(const Value& a, const Value& b) {
  RawType ta = RawTypeOf(a), tb = RawTypeOf(b);
  if (ta == tb) return StrictEquals(a, b);
  const bool a_nullish = ta == RawType::kNull || ta == RawType::kUndefined;
  const bool b_nullish = tb == RawType::kNull || tb == RawType::kUndefined;
  if (a_nullish || b_nullish) return a_nullish && b_nullish;
  if (ta == RawType::kNumber && tb == RawType::kString) return a.number() == JsStringToNumber(b.str());
  if (ta == RawType::kString && tb == RawType::kNumber) return JsStringToNumber(a.str()) == b.number();
  if (ta == RawType::kBoolean) return LooseEquals(Value::Integer(a.number()), b);
  if (tb == RawType::kBoolean) return LooseEquals(a, Value::Integer(b.number()));
  if (ta == RawType::kObject || tb == RawType::kObject) {
    // ToPrimitive on the container side, then compare again.
    const Value& container = ta == RawType::kObject ? a : b;
    const Value& other = ta == RawType::kObject ? b : a;
    if (container.is_function()) return false;
    ASSIGN_OR_RETURN(std::string primitive, RawToString(container));
    return LooseEquals(Value::String(std::move(primitive)), other);
  }
  return false;
}

bool StrictEquals(const Value& a, const Value& b) {
  RawType ta = RawTypeOf(a), tb = RawTypeOf(b);
  if (ta != tb) return false;
  switch (ta) {
    case RawType::kUndefined:
    case RawType::kNull: return true;
    case RawType::kBoolean:
    case RawType::kNumber: return a.number() == b.number();
    case RawType::kString: return a.str() == b.str();
    case RawType::kObject: return a.identity() == b.identity();
  }
  return false;
}

}  // namespace engine::jinja
