// `value | filter` and `value | filter(args)`, dispatched the way the
// reference does: first on the filter's form, then on the operand's type.
// A filter the reference lacks for a type is an error for that type only.
#include <cmath>
#include <limits>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_eval.h"
#include "engine/chat/jinja_json.h"
#include "engine/chat/jinja_number.h"
#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

base::Result<Value> CallMember(const std::optional<Value>& member, std::vector<Value> args) {
  return member->function().call(args, nullptr);
}

base::Result<Value> Indent(const std::string& text, const Value& width, bool first, bool blank, size_t max_bytes) {
  if (!width.is_integer()) return base::InvalidArgument("width must be a number");
  if (width.number() < 0 || width.number() > static_cast<double>(max_bytes)) {
    return base::InvalidArgument("invalid indent width");
  }
  const std::string pad(static_cast<size_t>(width.number()), ' ');
  std::string out;
  size_t line_start = 0, line_number = 0;
  while (true) {
    size_t end = text.find('\n', line_start);
    std::string_view line = std::string_view(text).substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
    if (!((!first && line_number == 0) || (!blank && line.empty()))) out += pad;
    out.append(line);
    if (out.size() > max_bytes) return base::ResourceExhausted("indent: result too large");
    if (end == std::string::npos) break;
    out.push_back('\n');
    line_start = end + 1;
    ++line_number;
  }
  return Value::String(std::move(out));
}

base::Result<Value> JoinValues(const std::vector<Value>& items, const std::string& separator, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    ASSIGN_OR_RETURN(std::string part, JoinElementString(items[i]));
    out += part;
    if (out.size() > max_bytes) return base::ResourceExhausted("join: result too large");
  }
  return Value::String(std::move(out));
}

// Set semantics of JavaScript (SameValueZero on the underlying values).
Value Unique(const std::vector<Value>& items) {
  std::vector<Value> out;
  for (const Value& item : items) {
    bool seen = false;
    for (const Value& kept : out) {
      const bool both_nan = kept.is_number() && item.is_number() && std::isnan(kept.number()) && std::isnan(item.number());
      if (both_nan || StrictEquals(kept, item)) {
        seen = true;
        break;
      }
    }
    if (!seen) out.push_back(item);
  }
  return Value::Array(std::move(out));
}

base::Result<Value> ArraySort(const std::vector<Value>& items, bool reverse, bool case_sensitive, const Value* attribute) {
  std::vector<Value> keys;
  keys.reserve(items.size());
  for (const Value& item : items) {
    if (attribute == nullptr || attribute->is_null()) {
      keys.push_back(item);
    } else {
      std::string path = attribute->is_integer() ? JsNumberToString(attribute->number()) : attribute->str();
      keys.push_back(GetAttributePath(item, path));
    }
  }
  ASSIGN_OR_RETURN(std::vector<Value> sorted, SortByKey(items, keys, case_sensitive, reverse));
  return Value::Array(std::move(sorted));
}

base::Result<Value> NumberParse(const Value& operand, bool to_int, const Value& fallback) {
  if (operand.is_string()) {
    std::optional<double> parsed = to_int ? JsParseInt(operand.str()) : JsParseFloat(operand.str());
    if (!parsed) return fallback;
    return to_int ? Value::Integer(*parsed) : Value::Float(*parsed);
  }
  if (operand.is_number()) return operand;
  if (operand.is_bool()) return to_int ? Value::Integer(operand.number()) : Value::Float(operand.number());
  return base::InvalidArgument(std::string("Cannot apply filter \"") + (to_int ? "int" : "float") + "\" to type: " +
                               std::string(TypeName(operand)));
}

}  // namespace

base::Result<Value> Evaluator::ApplyFilter(const Value& operand, const Node& filter, const EnvPtr& env) {
  if (filter.kind == NodeKind::kIdentifier) return ApplyPlainFilter(operand, filter.text);
  if (filter.kind == NodeKind::kCall) {
    if (filter.a->kind != NodeKind::kIdentifier) return base::InvalidArgument("Unknown filter: not a name");
    return ApplyCallFilter(operand, filter, env);
  }
  return base::InvalidArgument("Unknown filter: not a name");
}

base::Result<Value> Evaluator::ApplyPlainFilter(const Value& operand, const std::string& name) {
  if (name == "safe") return operand;
  if (name == "tojson") {
    JsonFormat format;
    format.max_bytes = limits_.max_bytes;
    ASSIGN_OR_RETURN(std::string json, ToJson(operand, format));
    return Value::String(std::move(json));
  }
  if (operand.is_array()) {
    const std::vector<Value>& items = operand.array().items;
    if (name == "list") return operand;
    if (name == "first") return items.empty() ? Value() : items.front();
    if (name == "last") return items.empty() ? Value() : items.back();
    if (name == "length") return Value::Integer(static_cast<double>(items.size()));
    if (name == "reverse") return Value::Array(std::vector<Value>(items.rbegin(), items.rend()));
    if (name == "sort") return ArraySort(items, false, false, nullptr);
    if (name == "join") return JoinValues(items, "", limits_.max_bytes);
    if (name == "unique") return Unique(items);
    if (name == "string") {
      JsonFormat format;
      format.undefined_as_null = false;
      format.max_bytes = limits_.max_bytes;
      ASSIGN_OR_RETURN(std::string json, ToJson(operand, format));
      return Value::String(std::move(json));
    }
    return base::InvalidArgument("Unknown ArrayValue filter: " + name);
  }
  if (operand.is_string()) {
    const std::string& s = operand.str();
    if (name == "length" || name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
      std::optional<Value> member = StringMember(operand, name, limits_);
      if (member->is_function()) return CallMember(member, {});
      return *member;
    }
    if (name == "trim") return Value::String(std::string(JsTrim(s)));
    if (name == "indent") return Indent(s, Value::Integer(4), false, false, limits_.max_bytes);
    if (name == "join" || name == "string") return operand;
    if (name == "int") return NumberParse(operand, true, Value::Integer(0));
    if (name == "float") return NumberParse(operand, false, Value::Float(0));
    return base::InvalidArgument("Unknown StringValue filter: " + name);
  }
  if (operand.is_number()) {
    if (name == "abs") return operand.is_integer() ? Value::Integer(std::fabs(operand.number())) : Value::Float(std::fabs(operand.number()));
    if (name == "int") return Value::Integer(std::floor(operand.number()));
    if (name == "float") return Value::Float(operand.number());
    if (name == "string") {
      ASSIGN_OR_RETURN(std::string text, ToOutputString(operand));
      return Value::String(std::move(text));
    }
    return base::InvalidArgument("Unknown NumericValue filter: " + name);
  }
  if (operand.is_object()) {
    if (name == "items") return CallMember(ObjectMember(operand, "items"), {});
    if (name == "length") return Value::Integer(static_cast<double>(operand.object().size()));
    if (std::optional<Value> member = ObjectMember(operand, name)) return CallMember(member, {});
    return base::InvalidArgument("Unknown ObjectValue filter: " + name);
  }
  if (operand.is_bool()) {
    if (name == "bool") return operand;
    if (name == "int") return Value::Integer(operand.number());
    if (name == "float") return Value::Float(operand.number());
    if (name == "string") return Value::String(operand.boolean() ? "true" : "false");
    return base::InvalidArgument("Unknown BooleanValue filter: " + name);
  }
  return base::InvalidArgument("Cannot apply filter \"" + name + "\" to type: " + std::string(TypeName(operand)));
}

base::Result<Value> Evaluator::ApplyCallFilter(const Value& operand, const Node& call, const EnvPtr& env) {
  const std::string& name = call.a->text;
  if (name == "selectattr" || name == "rejectattr") {
    if (!operand.is_array()) return base::InvalidArgument("Cannot apply filter \"" + name + "\" to type: " + std::string(TypeName(operand)));
    return ApplySelectAttr(operand, name == "selectattr", call, env);
  }
  Args args;
  Kwargs kwarg_list;
  RETURN_IF_ERROR(EvalArguments(call.list, env, &args, &kwarg_list));
  ObjectData kwargs(/*is_kwargs=*/true);
  for (auto& [key, value] : kwarg_list) kwargs.Set(key, value);
  auto keyword = [&](std::string_view key) { return kwargs.Find(key); };
  auto positional_or_keyword = [&](size_t i, std::string_view key) { return ArgOrKeyword(args, i, &kwargs, key); };

  if (name == "tojson") {
    JsonFormat format;
    format.max_bytes = limits_.max_bytes;
    const Value* indent = keyword("indent");
    if (indent && !indent->is_integer() && !indent->is_null()) return base::InvalidArgument("If set, indent must be a number");
    if (indent && indent->is_integer()) {
      if (indent->number() < 0) return base::InvalidArgument("tojson: invalid indent");
      if (indent->number() > 1 << 16) return base::ResourceExhausted("tojson: indent too large");
      format.indent = static_cast<int>(indent->number());
    }
    const Value* ensure_ascii = keyword("ensure_ascii");
    if (ensure_ascii && !ensure_ascii->is_bool()) return base::InvalidArgument("If set, ensure_ascii must be a boolean");
    format.ensure_ascii = ensure_ascii && ensure_ascii->boolean();
    const Value* sort_keys = keyword("sort_keys");
    if (sort_keys && !sort_keys->is_bool()) return base::InvalidArgument("If set, sort_keys must be a boolean");
    format.sort_keys = sort_keys && sort_keys->boolean();
    const Value* separators = keyword("separators");
    if (separators && separators->is_array()) {
      const auto& parts = separators->array().items;
      if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) {
        return base::InvalidArgument("separators must be a tuple of two strings");
      }
      format.separators = std::make_pair(parts[0].str(), parts[1].str());
    } else if (separators && !separators->is_null()) {
      return base::InvalidArgument("If set, separators must be a tuple of two strings");
    }
    ASSIGN_OR_RETURN(std::string json, ToJson(operand, format));
    return Value::String(std::move(json));
  }
  if (name == "join") {
    std::vector<Value> items;
    if (operand.is_string()) {
      const std::string& s = operand.str();
      for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        DecodeUtf8(s, i, &len);
        items.push_back(Value::String(s.substr(i, len)));
        i += len;
      }
    } else if (operand.is_array()) {
      items = operand.array().items;
    } else {
      return base::InvalidArgument("Cannot apply filter \"join\" to type: " + std::string(TypeName(operand)));
    }
    const Value* separator = positional_or_keyword(0, "separator");
    if (separator && !separator->is_string()) return base::InvalidArgument("separator must be a string");
    return JoinValues(items, separator ? separator->str() : "", limits_.max_bytes);
  }
  if (name == "int" || name == "float") {
    const Value* fallback = positional_or_keyword(0, "default");
    Value zero = name == "int" ? Value::Integer(0) : Value::Float(0);
    return NumberParse(operand, name == "int", fallback ? *fallback : zero);
  }
  if (name == "default") {
    Value fallback = args.empty() ? Value::String("") : args[0];
    const Value* boolean = positional_or_keyword(1, "boolean");
    if (boolean && !boolean->is_bool()) return base::InvalidArgument("`default` filter flag must be a boolean");
    if (operand.is_undefined() || (boolean && boolean->boolean() && !Truthy(operand))) return fallback;
    return operand;
  }
  if (operand.is_array()) {
    if (name == "sort") {
      const Value* reverse = positional_or_keyword(0, "reverse");
      const Value* case_sensitive = positional_or_keyword(1, "case_sensitive");
      const Value* attribute = positional_or_keyword(2, "attribute");
      if (reverse && !reverse->is_bool()) return base::InvalidArgument("reverse must be a boolean");
      if (case_sensitive && !case_sensitive->is_bool()) return base::InvalidArgument("case_sensitive must be a boolean");
      if (attribute && !attribute->is_string() && !attribute->is_integer() && !attribute->is_null()) {
        return base::InvalidArgument("attribute must be a string, integer, or null");
      }
      return ArraySort(operand.array().items, reverse && reverse->boolean(),
                       case_sensitive && case_sensitive->boolean(), attribute);
    }
    if (name == "map") {
      const Value* attribute = keyword("attribute");
      if (attribute == nullptr) {
        return base::InvalidArgument("`map` expressions without `attribute` set are not currently supported.");
      }
      if (!attribute->is_string()) return base::InvalidArgument("attribute must be a string");
      const Value* fallback = keyword("default");
      std::vector<Value> mapped;
      for (const Value& item : operand.array().items) {
        if (!item.is_object() && !item.is_namespace()) return base::InvalidArgument("items in map must be an object");
        Value value = GetAttributePath(item, attribute->str());
        mapped.push_back(value.is_undefined() && fallback ? *fallback : value);
      }
      return Value::Array(std::move(mapped));
    }
    return base::InvalidArgument("Unknown ArrayValue filter: " + name);
  }
  if (operand.is_string()) {
    if (name == "indent") {
      const Value* width = positional_or_keyword(0, "width");
      const Value* first = positional_or_keyword(1, "first");
      const Value* blank = positional_or_keyword(2, "blank");
      return Indent(operand.str(), width ? *width : Value::Integer(4), first && JsTruthy(*first),
                    blank && JsTruthy(*blank), limits_.max_bytes);
    }
    if (name == "replace") {
      Args with_kwargs = args;
      with_kwargs.push_back(Value::Object(std::make_shared<ObjectData>(kwargs)));
      return CallMember(StringMember(operand, "replace", limits_), std::move(with_kwargs));
    }
    return base::InvalidArgument("Unknown StringValue filter: " + name);
  }
  if (operand.is_object()) {
    std::optional<Value> member = ObjectMember(operand, name);
    if (!member) return base::InvalidArgument("Unknown ObjectValue filter: " + name);
    if (kwargs.size() > 0) args.push_back(Value::Object(std::make_shared<ObjectData>(kwargs)));
    return CallMember(member, std::move(args));
  }
  return base::InvalidArgument("Cannot apply filter \"" + name + "\" to type: " + std::string(TypeName(operand)));
}

base::Result<Value> Evaluator::ApplySelectAttr(const Value& operand, bool select, const Node& call, const EnvPtr& env) {
  const char* name = select ? "selectattr" : "rejectattr";
  for (const Value& item : operand.array().items) {
    if (!item.is_object() && !item.is_namespace()) {
      return base::InvalidArgument(std::string("`") + name + "` can only be applied to array of objects");
    }
  }
  for (const NodePtr& arg : call.list) {
    if (arg->kind != NodeKind::kString) return base::InvalidArgument(std::string("arguments of `") + name + "` must be strings");
  }
  std::vector<Value> args;
  for (const NodePtr& arg : call.list) {
    ASSIGN_OR_RETURN(Value value, Eval(*arg, env));
    args.push_back(std::move(value));
  }
  if (args.size() > 1 && !IsKnownTest(args[1].str())) return base::InvalidArgument("Unknown test: " + args[1].str());
  if (args.empty() && !operand.array().items.empty()) {
    return base::InvalidArgument(std::string("`") + name + "` needs an attribute name");
  }
  const std::string attribute = args.empty() ? std::string() : args[0].str();
  std::vector<Value> kept;
  for (const Value& item : operand.array().items) {
    // Only items that have the attribute are tested at all.
    const Value* value = item.object().Find(attribute);
    bool result = false;
    if (value != nullptr) {
      if (args.size() > 1) {
        ASSIGN_OR_RETURN(result, RunTest(args[1].str(), *value, args.size() > 2 ? &args[2] : nullptr));
      } else {
        result = Truthy(*value);
      }
    }
    if (result == select) kept.push_back(item);
  }
  return Value::Array(std::move(kept));
}

}  // namespace engine::jinja
