// Calls, member access, slicing, unary operators and literals.
#include <cmath>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_eval.h"
#include "engine/chat/jinja_number.h"
#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

// Array.prototype.at / String.prototype.at index normalization.
std::optional<size_t> RelativeIndex(double index, size_t length) {
  double relative = JsToIntegerOrInfinity(index);
  double k = relative >= 0 ? relative : static_cast<double>(length) + relative;
  if (k < 0 || k >= static_cast<double>(length)) return std::nullopt;
  return static_cast<size_t>(k);
}

// The reference's Python-style slice (utils.slice); a zero step is empty.
std::vector<size_t> SliceIndices(size_t length, const Value& start_v, const Value& stop_v, const Value& step_v) {
  const double n = static_cast<double>(length);
  const double step = step_v.is_undefined() ? 1 : step_v.number();
  const double direction = step > 0 ? 1 : step < 0 ? -1 : 0;
  double start, stop;
  if (direction >= 0) {
    start = start_v.is_undefined() ? 0 : start_v.number();
    stop = stop_v.is_undefined() ? n : stop_v.number();
    start = start < 0 ? std::max(n + start, 0.0) : std::min(start, n);
    stop = stop < 0 ? std::max(n + stop, 0.0) : std::min(stop, n);
  } else {
    start = start_v.is_undefined() ? n - 1 : start_v.number();
    stop = stop_v.is_undefined() ? -1 : stop_v.number();
    start = start < 0 ? std::max(n + start, -1.0) : std::min(start, n - 1);
    stop = stop < -1 ? std::max(n + stop, -1.0) : std::min(stop, n - 1);
  }
  std::vector<size_t> indices;
  for (double i = start; direction * i < direction * stop; i += step) indices.push_back(static_cast<size_t>(i));
  return indices;
}

}  // namespace

base::Status Evaluator::EvalArguments(const NodeList& nodes, const EnvPtr& env, Args* args, Kwargs* kwargs) {
  // As in Python, all positional arguments are evaluated before keywords.
  for (const NodePtr& node : nodes) {
    if (node->kind == NodeKind::kSpread) {
      ASSIGN_OR_RETURN(Value spread, Eval(*node->a, env));
      if (!spread.is_array()) return base::InvalidArgument("Cannot unpack non-iterable type: " + std::string(TypeName(spread)));
      for (const Value& item : spread.array().items) args->push_back(item);
    } else if (node->kind != NodeKind::kKeywordArg && node->kind != NodeKind::kKeywordSpread) {
      ASSIGN_OR_RETURN(Value value, Eval(*node, env));
      args->push_back(std::move(value));
    }
  }
  auto add = [&](const std::string& key, Value value) -> base::Status {
    for (const auto& kv : *kwargs) {
      if (kv.first == key) return base::InvalidArgument("Got multiple values for keyword argument '" + key + "'");
    }
    kwargs->emplace_back(key, std::move(value));
    return base::Status();
  };
  for (const NodePtr& node : nodes) {
    if (node->kind == NodeKind::kKeywordArg) {
      ASSIGN_OR_RETURN(Value value, Eval(*node->a, env));
      RETURN_IF_ERROR(add(node->text, std::move(value)));
    } else if (node->kind == NodeKind::kKeywordSpread) {
      ASSIGN_OR_RETURN(Value spread, Eval(*node->a, env));
      if (!spread.is_object()) {
        return base::InvalidArgument("Argument after ** must be a mapping, not " + std::string(TypeName(spread)));
      }
      for (const auto& [key, value] : spread.object().entries()) RETURN_IF_ERROR(add(key, value));
    }
  }
  return base::Status();
}

base::Result<Value> Evaluator::EvalCall(const Node& node, const EnvPtr& env) {
  Args args;
  Kwargs kwargs;
  RETURN_IF_ERROR(EvalArguments(node.list, env, &args, &kwargs));
  if (!kwargs.empty()) {
    auto bundle = std::make_shared<ObjectData>(/*is_kwargs=*/true);
    for (auto& [key, value] : kwargs) bundle->Set(key, value);
    args.push_back(Value::Object(std::move(bundle)));
  }
  ASSIGN_OR_RETURN(Value fn, Eval(*node.a, env));
  if (!fn.is_function()) {
    return base::InvalidArgument("Cannot call something that is not a function: got " + std::string(TypeName(fn)));
  }
  return fn.function().call(args, env);
}

base::Result<Value> Evaluator::EvalMember(const Node& node, const EnvPtr& env) {
  ASSIGN_OR_RETURN(Value object, Eval(*node.a, env));
  const Node& property_node = *node.b;
  Value property;
  if (node.flag) {
    if (property_node.kind == NodeKind::kSlice) return EvalSlice(object, property_node, env);
    ASSIGN_OR_RETURN(property, Eval(property_node, env));
  } else if (property_node.kind == NodeKind::kInteger) {
    property = Value::Integer(property_node.number);
  } else {
    property = Value::String(property_node.text);
  }
  if (object.is_object() || object.is_namespace()) {
    if (!property.is_string()) {
      return base::InvalidArgument("Cannot access property with non-string: got " + std::string(TypeName(property)));
    }
    if (const Value* found = object.object().Find(property.str())) return *found;
    if (object.is_object()) {
      if (auto method = ObjectMember(object, property.str())) return *method;
    }
    return Value();
  }
  if (object.is_array() || object.is_string()) {
    if (property.is_integer()) {
      if (object.is_array()) {
        const auto& items = object.array().items;
        auto index = RelativeIndex(property.number(), items.size());
        return index ? items[*index] : Value();
      }
      auto index = RelativeIndex(property.number(), Utf16Length(object.str()));
      return index ? Value::String(Utf16UnitAt(object.str(), *index)) : Value();
    }
    if (property.is_string()) {
      if (object.is_array()) {
        if (property.str() == "length") return Value::Integer(static_cast<double>(object.array().items.size()));
        return Value();
      }
      if (auto member = StringMember(object, property.str(), limits_)) return *member;
      return Value();
    }
    return base::InvalidArgument("Cannot access property with non-string/non-number: got " +
                                 std::string(TypeName(property)));
  }
  if (!property.is_string()) {
    return base::InvalidArgument("Cannot access property with non-string: got " + std::string(TypeName(property)));
  }
  return Value();
}

base::Result<Value> Evaluator::EvalSlice(const Value& object, const Node& slice, const EnvPtr& env) {
  if (!object.is_array() && !object.is_string()) return base::InvalidArgument("Slice object must be an array or string");
  Value parts[3];
  const Node* nodes[3] = {slice.a.get(), slice.b.get(), slice.c.get()};
  for (int i = 0; i < 3; ++i) {
    if (nodes[i] != nullptr) {
      ASSIGN_OR_RETURN(parts[i], Eval(*nodes[i], env));
    }
    if (!parts[i].is_integer() && !parts[i].is_undefined()) {
      static constexpr const char* kNames[] = {"start", "stop", "step"};
      return base::InvalidArgument(std::string("Slice ") + kNames[i] + " must be numeric or undefined");
    }
  }
  if (object.is_array()) {
    const auto& items = object.array().items;
    std::vector<Value> out;
    for (size_t i : SliceIndices(items.size(), parts[0], parts[1], parts[2])) out.push_back(items[i]);
    return Value::Array(std::move(out));
  }
  // Strings slice by code point (Array.from), unlike indexing.
  const std::string& s = object.str();
  std::vector<std::string_view> chars;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    DecodeUtf8(s, i, &len);
    chars.push_back(std::string_view(s).substr(i, len));
    i += len;
  }
  std::string out;
  for (size_t i : SliceIndices(chars.size(), parts[0], parts[1], parts[2])) out.append(chars[i]);
  return Value::String(std::move(out));
}

base::Result<Value> Evaluator::EvalUnary(const Node& node, const EnvPtr& env) {
  ASSIGN_OR_RETURN(Value operand, Eval(*node.a, env));
  if (node.text == "not") return Value::Bool(!Truthy(operand));
  if (operand.is_number() || operand.is_bool()) {
    double value = node.text == "-" ? -operand.number() : operand.number();
    return operand.is_float() ? Value::Float(value) : Value::Integer(value);
  }
  return base::InvalidArgument("Unknown operator \"" + node.text + "\" for " + std::string(TypeName(operand)));
}

base::Result<Value> Evaluator::EvalLiteral(const Node& node, const EnvPtr& env) {
  if (node.kind == NodeKind::kObject) {
    auto object = std::make_shared<ObjectData>();
    for (size_t i = 0; i < node.list.size(); ++i) {
      ASSIGN_OR_RETURN(Value key, Eval(*node.list[i], env));
      if (!key.is_string()) return base::InvalidArgument("Object keys must be strings: got " + std::string(TypeName(key)));
      ASSIGN_OR_RETURN(Value value, Eval(*node.list2[i], env));
      object->Set(key.str(), std::move(value));
    }
    return Value::Object(std::move(object));
  }
  std::vector<Value> items;
  items.reserve(node.list.size());
  for (const NodePtr& item : node.list) {
    ASSIGN_OR_RETURN(Value value, Eval(*item, env));
    items.push_back(std::move(value));
  }
  return node.kind == NodeKind::kTuple ? Value::Tuple(std::move(items)) : Value::Array(std::move(items));
}

}  // namespace engine::jinja
