#include "engine/chat/jinja_builtins.h"

#include <time.h>

#include <algorithm>
#include <cmath>

#include "engine/chat/jinja_number.h"
#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

using Args = std::vector<Value>;

bool IsNumericLike(const Value& v) { return v.is_number() || v.is_bool(); }

// Which values CompareValues accepts against each other.
std::string_view CompareClass(const Value& v) {
  if (v.is_null()) return "null";
  if (v.is_undefined()) return "undefined";
  if (IsNumericLike(v)) return "number";
  if (v.is_string()) return "string";
  return {};
}

base::Result<Value> Range(Args& args, const Limits& limits) {
  std::vector<double> numbers;
  std::vector<bool> present;
  for (const Value& arg : args) {
    if (arg.is_undefined()) {
      numbers.push_back(0);
      present.push_back(false);
    } else if (IsNumericLike(arg) || arg.is_null()) {
      numbers.push_back(arg.is_null() ? 0 : arg.number());
      present.push_back(true);
    } else {
      return base::InvalidArgument("range() arguments must be numbers, got " + std::string(TypeName(arg)));
    }
  }
  // range(start, stop?, step = 1) in JavaScript: an undefined argument is a
  // missing one, and a missing bound yields an empty range.
  numbers.resize(3, 0);
  present.resize(3, false);
  double start = numbers[0], stop = numbers[1], step = present[2] ? numbers[2] : 1;
  if (!present[0]) return Value::Array({});
  if (!present[1]) {
    stop = start;
    start = 0;
  }
  if (step == 0) return base::InvalidArgument("range() step must not be zero");
  std::vector<Value> items;
  for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (items.size() >= limits.max_array_items) return base::ResourceExhausted("range() too long");
    items.push_back(i == std::trunc(i) ? Value::Integer(i) : Value::Float(i));
  }
  return Value::Array(std::move(items));
}

base::Result<Value> RaiseException(Args& args) {
  std::string message;
  if (!args.empty() && !args[0].is_undefined()) {
    auto text = RawToString(args[0]);
    message = text.ok() ? *text : std::string(TypeName(args[0]));
  }
  return base::InvalidArgument("template raised an exception: " + message);
}

// The reference's minimal strftime: %Y %m %d %b %B %H %M %%, local time,
// English month names; other directives are left as they are.
base::Result<Value> StrftimeNow(Args& args, const base::Clock* clock) {
  if (args.empty() || !args[0].is_string()) return base::InvalidArgument("strftime_now() needs a format string");
  static constexpr const char* kMonths[] = {"January", "February", "March", "April", "May", "June", "July",
                                            "August", "September", "October", "November", "December"};
  time_t seconds = static_cast<time_t>((clock ? clock->NowMicros() : 0) / 1'000'000);
  struct tm local {};
  if (localtime_r(&seconds, &local) == nullptr) return base::Internal("localtime_r failed");
  auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  const std::string& format = args[0].str();
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out.push_back(format[i]);
      continue;
    }
    char directive = format[i + 1];
    switch (directive) {
      case 'Y': out += std::to_string(local.tm_year + 1900); break;
      case 'm': out += pad2(local.tm_mon + 1); break;
      case 'd': out += pad2(local.tm_mday); break;
      case 'b': out += std::string(kMonths[local.tm_mon]).substr(0, 3); break;
      case 'B': out += kMonths[local.tm_mon]; break;
      case 'H': out += pad2(local.tm_hour); break;
      case 'M': out += pad2(local.tm_min); break;
      case '%': out += '%'; break;
      default:
        out.push_back('%');
        continue;  // the next character is copied on its own
    }
    ++i;
  }
  return Value::String(std::move(out));
}

base::Status AddNamespaceEntry(const Value& pair, ObjectData* entries) {
  std::vector<Value> parts;
  if (pair.is_array()) {
    parts = pair.array().items;
  } else if (pair.is_string()) {
    const std::string& s = pair.str();
    for (size_t i = 0; i < s.size();) {
      size_t len = 1;
      DecodeUtf8(s, i, &len);
      parts.push_back(Value::String(s.substr(i, len)));
      i += len;
    }
  }
  if (parts.size() != 2) return base::InvalidArgument("namespace expected an object or an iterable of [key, value] pairs");
  if (!parts[0].is_string()) return base::InvalidArgument("namespace keys must be strings");
  entries->Set(parts[0].str(), parts[1]);
  return base::Status();
}

}  // namespace

bool IsKnownTest(std::string_view name) {
  static constexpr std::string_view kTests[] = {"boolean", "callable", "odd", "even", "false", "true",
                                                "none", "string", "number", "integer", "iterable", "mapping",
                                                "sequence", "lower", "upper", "defined", "undefined", "equalto", "eq"};
  for (std::string_view test : kTests) {
    if (test == name) return true;
  }
  return false;
}

base::Result<bool> RunTest(std::string_view name, const Value& operand, const Value* arg) {
  if (name == "boolean") return operand.is_bool();
  if (name == "callable") return operand.is_function();
  if (name == "odd" || name == "even") {
    if (!operand.is_integer()) return base::InvalidArgument("cannot " + std::string(name) + " on " + std::string(TypeName(operand)));
    bool odd = std::fmod(operand.number(), 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "false") return operand.is_bool() && !operand.boolean();
  if (name == "true") return operand.is_bool() && operand.boolean();
  if (name == "none") return operand.is_null();
  if (name == "string") return operand.is_string();
  if (name == "number") return operand.is_number();
  if (name == "integer") return operand.is_integer();
  if (name == "iterable") return (operand.is_array() && !operand.is_tuple()) || operand.is_string();
  if (name == "mapping") return operand.is_object();
  if (name == "sequence") return operand.is_array() || operand.is_object() || operand.is_string();
  if (name == "lower") return operand.is_string() && operand.str() == JsToLower(operand.str());
  if (name == "upper") return operand.is_string() && operand.str() == JsToUpper(operand.str());
  if (name == "defined") return !operand.is_undefined();
  if (name == "undefined") return operand.is_undefined();
  if (name == "equalto" || name == "eq") {
    if (arg == nullptr) return base::InvalidArgument("test '" + std::string(name) + "' needs a value to compare with");
    return StrictEquals(operand, *arg);
  }
  return base::InvalidArgument("Unknown test: " + std::string(name));
}

base::Result<int> CompareValues(const Value& a, const Value& b, bool case_sensitive) {
  if (a.is_null() && b.is_null()) return 0;
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (a.is_null() || b.is_null() || a.is_undefined() || b.is_undefined()) {
    return base::InvalidArgument("Cannot compare " + std::string(TypeName(a)) + " with " + std::string(TypeName(b)));
  }
  if (IsNumericLike(a) && IsNumericLike(b)) {
    return a.number() < b.number() ? -1 : a.number() > b.number() ? 1 : 0;
  }
  if (TypeName(a) != TypeName(b)) {
    return base::InvalidArgument("Cannot compare different types: " + std::string(TypeName(a)) + " and " +
                                 std::string(TypeName(b)));
  }
  if (!a.is_string()) return base::InvalidArgument("Cannot compare type: " + std::string(TypeName(a)));
  if (case_sensitive) return CompareUtf16(a.str(), b.str());
  return CompareUtf16(JsToLower(a.str()), JsToLower(b.str()));
}

base::Result<std::vector<Value>> SortByKey(const std::vector<Value>& items, const std::vector<Value>& keys,
                                           bool case_sensitive, bool reverse) {
  if (items.size() >= 2) {
    // Any comparison sort compares across every pair of classes at least
    // once, so one incomparable pair means the reference throws.
    std::string_view first = CompareClass(keys[0]);
    for (const Value& key : keys) {
      std::string_view cls = CompareClass(key);
      if (cls.empty() || cls != first) {
        RETURN_IF_ERROR(CompareValues(keys[0], key, case_sensitive).status());
        return base::InvalidArgument("Cannot compare type: " + std::string(TypeName(key)));
      }
    }
  }
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    auto result = CompareValues(keys[x], keys[y], case_sensitive);
    int c = result.ok() ? *result : 0;
    return reverse ? c > 0 : c < 0;
  });
  std::vector<Value> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(items[i]);
  return sorted;
}

Value GetAttributePath(const Value& item, std::string_view path) {
  Value value = item;
  size_t pos = 0;
  while (true) {
    size_t dot = path.find('.', pos);
    std::string_view part = path.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (value.is_object() || value.is_namespace()) {
      const Value* found = value.object().Find(part);
      value = found ? *found : Value();
    } else if (value.is_array()) {
      std::optional<double> index = JsParseInt(part);
      const auto& items = value.array().items;
      if (!index || *index < 0 || *index >= static_cast<double>(items.size())) return Value();
      value = items[static_cast<size_t>(*index)];
    } else {
      return Value();
    }
    if (dot == std::string_view::npos) return value;
    pos = dot + 1;
  }
}

void NamespaceTracker::ClearAll() {
  for (const std::weak_ptr<ObjectData>& weak : namespaces_) {
    if (std::shared_ptr<ObjectData> ns = weak.lock()) ns->Clear();
  }
  namespaces_.clear();
}

Value NamespaceFunction(NamespaceTracker* tracker) {
  return MakeFunction("namespace", [tracker](Args& args, const EnvPtr&) -> base::Result<Value> {
    Args positional = args;
    const ObjectData* kwargs = nullptr;
    if (!positional.empty() && positional.back().is_kwargs()) {
      kwargs = &positional.back().object();
      positional.pop_back();
    }
    if (positional.size() > 1) {
      return base::InvalidArgument("namespace expected at most 1 argument, got " + std::to_string(positional.size()));
    }
    auto entries = std::make_shared<ObjectData>();
    if (positional.size() == 1) {
      const Value& source = positional[0];
      if (source.is_object()) {
        for (const auto& [key, value] : source.object().entries()) entries->Set(key, value);
      } else if (source.is_array()) {
        for (const Value& pair : source.array().items) RETURN_IF_ERROR(AddNamespaceEntry(pair, entries.get()));
      } else {
        return base::InvalidArgument("'" + std::string(TypeName(source)) + "' object is not iterable");
      }
    }
    if (kwargs != nullptr) {
      for (const auto& [key, value] : kwargs->entries()) entries->Set(key, value);
    }
    tracker->Track(entries);
    return Value::Namespace(std::move(entries));
  });
}

base::Result<EnvPtr> MakeGlobals(std::vector<std::pair<std::string, Value>> context, const base::Clock* clock,
                                 const Limits& limits, NamespaceTracker* tracker) {
  EnvPtr env = NewEnv(nullptr);
  env->namespace_builtin = NamespaceFunction(tracker);
  for (const char* name : {"false", "False"}) env->vars[name] = Value::Bool(false);
  for (const char* name : {"true", "True"}) env->vars[name] = Value::Bool(true);
  for (const char* name : {"none", "None"}) env->vars[name] = Value::Null();
  env->vars["raise_exception"] = MakeFunction("raise_exception", [](Args& args, const EnvPtr&) {
    return RaiseException(args);
  });
  env->vars["range"] = MakeFunction("range", [limits](Args& args, const EnvPtr&) { return Range(args, limits); });
  env->vars["strftime_now"] = MakeFunction("strftime_now", [clock](Args& args, const EnvPtr&) {
    return StrftimeNow(args, clock);
  });
  for (auto& [name, value] : context) {
    if (name == "namespace" || env->vars.count(name) != 0) {
      return base::InvalidArgument("Variable already declared: " + name);
    }
    env->vars[name] = std::move(value);
  }
  return env;
}

}  // namespace engine::jinja
