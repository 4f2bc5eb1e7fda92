// Methods reachable through member access: `"text".split(",")`,
// `message.get("content")`, and the `length` property.
#include <cmath>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_number.h"
#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

using Args = std::vector<Value>;

bool IsAsciiWord(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// /\b\w/g -> upper case: the first ASCII word character of each run.
std::string TitleCase(std::string_view text) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    if (IsAsciiWord(out[i]) && (i == 0 || !IsAsciiWord(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z') {
      out[i] = static_cast<char>(out[i] - 0x20);
    }
  }
  return out;
}

// charAt(0).toUpperCase() + slice(1): a supplementary first character is a
// lone surrogate to JavaScript and stays as it is.
std::string Capitalize(std::string_view text) {
  if (text.empty()) return std::string();
  size_t len = 1;
  char32_t first = DecodeUtf8(text, 0, &len);
  if (first >= 0x10000) return std::string(text);
  return JsToUpper(text.substr(0, len)) + std::string(text.substr(len));
}

base::Result<Value> AffixTest(const std::string& text, const Args& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  auto matches = [&](const std::string& affix) {
    if (affix.size() > text.size()) return false;
    return prefix ? text.compare(0, affix.size(), affix) == 0
                  : text.compare(text.size() - affix.size(), affix.size(), affix) == 0;
  };
  if (args.empty()) return base::InvalidArgument(std::string(name) + "() requires at least one argument");
  if (args[0].is_string()) return Value::Bool(matches(args[0].str()));
  if (args[0].is_array()) {
    for (const Value& item : args[0].array().items) {
      if (!item.is_string()) return base::InvalidArgument(std::string(name) + "() tuple elements must be strings");
      if (matches(item.str())) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  return base::InvalidArgument(std::string(name) + "() argument must be a string or tuple of strings");
}

Value StringArray(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (std::string& part : parts) items.push_back(Value::String(std::move(part)));
  return Value::Array(std::move(items));
}

base::Result<Value> Split(const std::string& text, const Args& args) {
  Value sep = args.size() > 0 ? args[0] : Value::Null();
  if (!sep.is_string() && !sep.is_null()) return base::InvalidArgument("sep argument must be a string or null");
  Value maxsplit_value = args.size() > 1 ? args[1] : Value::Integer(-1);
  if (!maxsplit_value.is_integer()) return base::InvalidArgument("maxsplit argument must be a number");
  const double maxsplit = maxsplit_value.number();
  std::vector<std::string> parts;
  if (sep.is_null()) {
    std::string_view rest = JsTrimStart(text);
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t start = pos;
      while (start < rest.size() && JsWhitespaceLengthAt(rest, start) > 0) start += JsWhitespaceLengthAt(rest, start);
      if (start >= rest.size()) break;
      size_t end = start;
      while (end < rest.size() && JsWhitespaceLengthAt(rest, end) == 0) {
        size_t len = 1;
        DecodeUtf8(rest, end, &len);
        end += len;
      }
      if (maxsplit != -1 && static_cast<double>(parts.size()) >= maxsplit) {
        parts.emplace_back(rest.substr(start));
        break;
      }
      parts.emplace_back(rest.substr(start, end - start));
      pos = end;
    }
    return StringArray(std::move(parts));
  }
  const std::string& delimiter = sep.str();
  if (delimiter.empty()) return base::InvalidArgument("empty separator");
  size_t pos = 0;
  while (true) {
    size_t found = text.find(delimiter, pos);
    if (found == std::string::npos) break;
    parts.emplace_back(text, pos, found - pos);
    pos = found + delimiter.size();
  }
  parts.emplace_back(text, pos);
  if (maxsplit != -1 && static_cast<double>(parts.size()) > maxsplit) {
    // result.push(result.splice(maxsplit).join(sep))
    double start = maxsplit < 0 ? std::max(static_cast<double>(parts.size()) + maxsplit, 0.0) : maxsplit;
    size_t keep = static_cast<size_t>(start);
    std::string tail;
    for (size_t i = keep; i < parts.size(); ++i) {
      if (i > keep) tail += delimiter;
      tail += parts[i];
    }
    parts.resize(keep);
    parts.push_back(std::move(tail));
  }
  return StringArray(std::move(parts));
}

base::Result<Value> Replace(const std::string& text, const Args& args, size_t max_bytes) {
  if (args.size() < 2) return base::InvalidArgument("replace() requires at least two arguments");
  if (!args[0].is_string() || !args[1].is_string()) return base::InvalidArgument("replace() arguments must be strings");
  Value count = Value::Null();
  if (args.size() > 2) {
    if (args[2].is_kwargs()) {
      const Value* found = args[2].object().Find("count");
      count = found ? *found : Value::Null();
    } else {
      count = args[2];
    }
  }
  if (!count.is_integer() && !count.is_null()) return base::InvalidArgument("replace() count argument must be a number or null");
  ASSIGN_OR_RETURN(std::string out, ReplaceString(text, args[0].str(), args[1].str(),
                                                  count.is_null() ? -1 : count.number(), max_bytes));
  return Value::String(std::move(out));
}

base::Result<Value> ObjectGet(const Value& object, const Args& args) {
  if (args.empty() || !args[0].is_string()) {
    return base::InvalidArgument("Object key must be a string: got " +
                                 std::string(args.empty() ? "undefined" : TypeName(args[0])));
  }
  if (const Value* found = object.object().Find(args[0].str())) return *found;
  return args.size() > 1 ? args[1] : Value::Null();
}

Value ObjectItems(const Value& object) {
  std::vector<Value> items;
  for (const auto& [key, value] : object.object().entries()) {
    items.push_back(Value::Array({Value::String(key), value}));
  }
  return Value::Array(std::move(items));
}

base::Result<Value> Dictsort(const Value& object, const Args& args) {
  auto [positional, kwargs] = SplitKeywordArgs(args);
  const Value* case_sensitive = ArgOrKeyword(positional, 0, kwargs, "case_sensitive");
  const Value* by = ArgOrKeyword(positional, 1, kwargs, "by");
  const Value* reverse = ArgOrKeyword(positional, 2, kwargs, "reverse");
  if (case_sensitive && !case_sensitive->is_bool()) return base::InvalidArgument("case_sensitive must be a boolean");
  if (by && !by->is_string()) return base::InvalidArgument("by must be a string");
  const std::string by_name = by ? by->str() : "key";
  if (by_name != "key" && by_name != "value") return base::InvalidArgument("by must be either 'key' or 'value'");
  if (reverse && !reverse->is_bool()) return base::InvalidArgument("reverse must be a boolean");
  std::vector<Value> items, keys;
  for (const auto& [key, value] : object.object().entries()) {
    items.push_back(Value::Array({Value::String(key), value}));
    keys.push_back(by_name == "key" ? Value::String(key) : value);
  }
  ASSIGN_OR_RETURN(std::vector<Value> sorted, SortByKey(items, keys, case_sensitive && case_sensitive->boolean(),
                                                        reverse && reverse->boolean()));
  return Value::Array(std::move(sorted));
}

}  // namespace

Value MakeFunction(std::string name, NativeFunction fn) {
  auto data = std::make_shared<FunctionData>();
  data->name = std::move(name);
  data->call = std::move(fn);
  return Value::Function(std::move(data));
}

std::pair<std::vector<Value>, const ObjectData*> SplitKeywordArgs(const std::vector<Value>& args) {
  std::vector<Value> positional;
  const ObjectData* kwargs = nullptr;
  for (const Value& arg : args) {
    if (arg.is_kwargs()) {
      kwargs = &arg.object();
    } else {
      positional.push_back(arg);
    }
  }
  return {std::move(positional), kwargs};
}

const Value* ArgOrKeyword(const std::vector<Value>& positional, size_t index, const ObjectData* kwargs,
                          std::string_view name) {
  if (index < positional.size()) return &positional[index];
  return kwargs ? kwargs->Find(name) : nullptr;
}

base::Result<std::string> ReplaceString(std::string_view text, std::string_view old_text,
                                        std::string_view new_text, double count, size_t max_bytes) {
  if (count == 0) return std::string(text);
  double remaining = count < 0 ? INFINITY : count;
  std::string out;
  auto append_new = [&]() -> base::Status {
    out.append(new_text);
    if (out.size() > max_bytes) return base::ResourceExhausted("replace: result too large");
    return base::Status();
  };
  if (old_text.empty()) {
    for (size_t i = 0; i <= text.size();) {
      if (remaining > 0) {
        RETURN_IF_ERROR(append_new());
        --remaining;
      }
      if (i == text.size()) break;
      size_t len = 1;
      DecodeUtf8(text, i, &len);
      out.append(text.substr(i, len));
      i += len;
    }
    return out;
  }
  size_t pos = 0;
  while (remaining > 0) {
    size_t found = text.find(old_text, pos);
    if (found == std::string_view::npos) break;
    out.append(text.substr(pos, found - pos));
    RETURN_IF_ERROR(append_new());
    pos = found + old_text.size();
    --remaining;
  }
  out.append(text.substr(pos));
  return out;
}

std::optional<Value> StringMember(const Value& text, std::string_view name, const Limits& limits) {
  const std::string& s = text.str();
  if (name == "length") return Value::Integer(static_cast<double>(Utf16Length(s)));
  auto method = [&](auto fn) {
    return MakeFunction(std::string(name), [text, fn](Args& args, const EnvPtr&) -> base::Result<Value> {
      return fn(text.str(), args);
    });
  };
  if (name == "upper") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(JsToUpper(t)); });
  if (name == "lower") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(JsToLower(t)); });
  if (name == "strip") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(std::string(JsTrim(t))); });
  if (name == "lstrip") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(std::string(JsTrimStart(t))); });
  if (name == "rstrip") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(std::string(JsTrimEnd(t))); });
  if (name == "title") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(TitleCase(t)); });
  if (name == "capitalize") return method([](const std::string& t, Args&) -> base::Result<Value> { return Value::String(Capitalize(t)); });
  if (name == "startswith") return method([](const std::string& t, Args& a) { return AffixTest(t, a, true); });
  if (name == "endswith") return method([](const std::string& t, Args& a) { return AffixTest(t, a, false); });
  if (name == "split") return method([](const std::string& t, Args& a) { return Split(t, a); });
  if (name == "replace") {
    size_t max_bytes = limits.max_bytes;
    return method([max_bytes](const std::string& t, Args& a) { return Replace(t, a, max_bytes); });
  }
  return std::nullopt;
}

std::optional<Value> ObjectMember(const Value& object, std::string_view name) {
  auto method = [&](auto fn) {
    return MakeFunction(std::string(name), [object, fn](Args& args, const EnvPtr&) -> base::Result<Value> {
      return fn(object, args);
    });
  };
  if (name == "get") return method([](const Value& o, Args& a) { return ObjectGet(o, a); });
  if (name == "items") return method([](const Value& o, Args&) -> base::Result<Value> { return ObjectItems(o); });
  if (name == "keys") {
    return method([](const Value& o, Args&) -> base::Result<Value> {
      std::vector<Value> keys;
      for (const auto& entry : o.object().entries()) keys.push_back(Value::String(entry.first));
      return Value::Array(std::move(keys));
    });
  }
  if (name == "values") {
    return method([](const Value& o, Args&) -> base::Result<Value> {
      std::vector<Value> values;
      for (const auto& entry : o.object().entries()) values.push_back(entry.second);
      return Value::Array(std::move(values));
    });
  }
  if (name == "dictsort") return method([](const Value& o, Args& a) { return Dictsort(o, a); });
  return std::nullopt;
}

}  // namespace engine::jinja
