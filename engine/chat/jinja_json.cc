#include "engine/chat/jinja_json.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/chat/jinja_number.h"
#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

void AppendHexEscape(uint32_t unit, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xF]);
}

class JsonWriter {
 public:
  JsonWriter(const JsonFormat& format, std::string* out) : format_(format), out_(out) {
    if (format.separators) {
      item_separator_ = format.separators->first;
      key_separator_ = format.separators->second;
    } else {
      item_separator_ = format.indent > 0 ? "," : ", ";
      key_separator_ = ": ";
    }
  }

  base::Status Write(const Value& v, int depth) {
    if (depth > format_.max_depth) return base::ResourceExhausted("tojson: value nested too deeply");
    if (out_->size() > format_.max_bytes) return base::ResourceExhausted("tojson: output too large");
    switch (v.kind()) {
      case ValueKind::kNull:
        out_->append("null");
        return base::Status();
      case ValueKind::kUndefined:
        out_->append(format_.undefined_as_null ? "null" : "undefined");
        return base::Status();
      case ValueKind::kBool:
        out_->append(v.boolean() ? "true" : "false");
        return base::Status();
      case ValueKind::kInteger:
      case ValueKind::kFloat:
        out_->append(std::isfinite(v.number()) ? JsNumberToString(v.number()) : "null");
        return base::Status();
      case ValueKind::kString:
        AppendJsonString(v.str(), format_.ensure_ascii, out_);
        return base::Status();
      case ValueKind::kArray:
        if (v.is_tuple()) break;
        return WriteArray(v.array(), depth);
      case ValueKind::kObject:
        if (v.is_kwargs()) break;
        return WriteObject(v.object(), depth);
      case ValueKind::kNamespace:
        return WriteObject(v.object(), depth);
      case ValueKind::kFunction:
        break;
    }
    return base::InvalidArgument("Cannot convert to JSON: " + std::string(TypeName(v)));
  }

 private:
  void Pad(int depth) {
    out_->push_back('\n');
    out_->append(static_cast<size_t>(format_.indent) * static_cast<size_t>(depth), ' ');
  }

  base::Status WriteArray(const ArrayData& array, int depth) {
    out_->push_back('[');
    const bool pretty = format_.indent > 0 && !array.items.empty();
    for (size_t i = 0; i < array.items.size(); ++i) {
      if (i > 0) out_->append(item_separator_);
      if (pretty) Pad(depth + 1);
      RETURN_IF_ERROR(Write(array.items[i], depth + 1));
    }
    if (pretty) Pad(depth);
    out_->push_back(']');
    return base::Status();
  }

  base::Status WriteObject(const ObjectData& object, int depth) {
    std::vector<const std::pair<std::string, Value>*> entries;
    entries.reserve(object.size());
    for (const auto& entry : object.entries()) entries.push_back(&entry);
    if (format_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
        return JsLocaleCompare(a->first, b->first) < 0;
      });
    }
    out_->push_back('{');
    const bool pretty = format_.indent > 0 && !entries.empty();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_->append(item_separator_);
      if (pretty) Pad(depth + 1);
      AppendJsonString(entries[i]->first, format_.ensure_ascii, out_);
      out_->append(key_separator_);
      RETURN_IF_ERROR(Write(entries[i]->second, depth + 1));
    }
    if (pretty) Pad(depth);
    out_->push_back('}');
    return base::Status();
  }

  const JsonFormat& format_;
  std::string* out_;
  std::string item_separator_;
  std::string key_separator_;
};

// JavaScript orders "array index" keys (canonical integers below 2^32 - 1)
// first, ascending, ahead of all other keys in insertion order.
std::optional<uint32_t> ArrayIndexKey(std::string_view key) {
  if (key.empty() || key.size() > 10) return std::nullopt;
  if (key.size() > 1 && key[0] == '0') return std::nullopt;
  uint64_t value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 4294967294ull) return std::nullopt;
  return static_cast<uint32_t>(value);
}

}  // namespace

void AppendJsonString(std::string_view text, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:
          if (c < 0x20 || (ensure_ascii && c == 0x7F)) {
            AppendHexEscape(c, out);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t len = 1;
    char32_t cp = DecodeUtf8(text, i, &len);
    if (!ensure_ascii) {
      out->append(text.substr(i, len));
    } else if (cp >= 0x10000) {
      AppendHexEscape(0xD800 + ((cp - 0x10000) >> 10), out);
      AppendHexEscape(0xDC00 + ((cp - 0x10000) & 0x3FF), out);
    } else {
      AppendHexEscape(cp, out);
    }
    i += len;
  }
  out->push_back('"');
}

base::Result<std::string> ToJson(const Value& value, const JsonFormat& format) {
  std::string out;
  JsonWriter writer(format, &out);
  RETURN_IF_ERROR(writer.Write(value, 0));
  if (out.size() > format.max_bytes) return base::ResourceExhausted("tojson: output too large");
  return out;
}

base::Result<Value> FromJson(const nlohmann::json& json, int max_depth) {
  if (max_depth < 0) return base::InvalidArgument("context JSON nested too deeply");
  using Type = nlohmann::json::value_t;
  switch (json.type()) {
    case Type::null:
      return Value::Null();
    case Type::boolean:
      return Value::Bool(json.get<bool>());
    case Type::number_integer:
      return Value::Integer(static_cast<double>(json.get<int64_t>()));
    case Type::number_unsigned:
      return Value::Integer(static_cast<double>(json.get<uint64_t>()));
    case Type::number_float: {
      double x = json.get<double>();
      return std::isfinite(x) && x == std::trunc(x) ? Value::Integer(x) : Value::Float(x);
    }
    case Type::string:
      return Value::String(json.get_ref<const std::string&>());
    case Type::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) {
        ASSIGN_OR_RETURN(Value v, FromJson(item, max_depth - 1));
        items.push_back(std::move(v));
      }
      return Value::Array(std::move(items));
    }
    case Type::object: {
      auto data = std::make_shared<ObjectData>();
      std::vector<std::pair<uint32_t, nlohmann::json::const_iterator>> index_keys;
      for (auto it = json.begin(); it != json.end(); ++it) {
        if (auto index = ArrayIndexKey(it.key())) index_keys.emplace_back(*index, it);
      }
      std::sort(index_keys.begin(), index_keys.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [index, it] : index_keys) {
        ASSIGN_OR_RETURN(Value v, FromJson(it.value(), max_depth - 1));
        data->Set(it.key(), std::move(v));
      }
      for (auto it = json.begin(); it != json.end(); ++it) {
        if (ArrayIndexKey(it.key())) continue;
        ASSIGN_OR_RETURN(Value v, FromJson(it.value(), max_depth - 1));
        data->Set(it.key(), std::move(v));
      }
      return Value::Object(std::move(data));
    }
    default:
      break;
  }
  return base::InvalidArgument("context JSON holds a value of unsupported type");
}

}  // namespace engine::jinja
