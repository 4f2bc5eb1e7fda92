// JSON in and out of the interpreter.
//
// ToJson reproduces the reference's `tojson` byte for byte: JSON.stringify
// escaping, Python-style separators (", " and ": "; "," when indenting),
// numbers as JavaScript prints them (1.0 -> 1), insertion-ordered keys.
// FromJson converts the render context the way JSON.parse + the reference's
// conversion would see it: integral numbers become integers and
// integer-like object keys ("0", "17") move to the front in numeric order.
//
// Threading: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/chat/jinja_value.h"

namespace engine::jinja {

struct JsonFormat {
  int indent = 0;  // 0: single line
  bool ensure_ascii = false;
  bool sort_keys = false;  // by JsLocaleCompare
  std::optional<std::pair<std::string, std::string>> separators;  // item, key
  bool undefined_as_null = true;  // false: prints `undefined` (output of arrays/objects)
  size_t max_bytes = size_t{1} << 28;
  int max_depth = 512;
};

base::Result<std::string> ToJson(const Value& value, const JsonFormat& format);
// JSON.stringify of a string, optionally with non-ASCII escaped as \uXXXX.
void AppendJsonString(std::string_view text, bool ensure_ascii, std::string* out);

base::Result<Value> FromJson(const nlohmann::json& json, int max_depth = 256);

}  // namespace engine::jinja
