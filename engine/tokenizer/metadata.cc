#include "engine/tokenizer/metadata.h"

#include <cstdint>

namespace engine::tokenizer_internal {
namespace {

std::string Describe(const GgufValue& v) {
  if (v.is_array()) return "array of " + std::string(GgufTypeName(v.array_type));
  return std::string(GgufTypeName(v.type));
}

base::Status WrongType(std::string_view key, const GgufValue& v, std::string_view expected) {
  return base::InvalidArgument("metadata key '" + std::string(key) + "' is " + Describe(v) + ", expected " +
                               std::string(expected));
}

bool IsInteger(GgufType t) {
  switch (t) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kUint16: case GgufType::kInt16:
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kUint64: case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

bool IsNumeric(GgufType t) { return IsInteger(t) || t == GgufType::kFloat32 || t == GgufType::kFloat64; }

}  // namespace

base::Result<std::string> RequiredString(const GgufFile& gguf, std::string_view key) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return base::NotFound("metadata key '" + std::string(key) + "' is missing");
  if (v->type != GgufType::kString) return WrongType(key, *v, "string");
  return std::string(v->str);
}

base::Result<std::optional<std::string>> OptionalString(const GgufFile& gguf, std::string_view key) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return std::optional<std::string>();
  if (v->type != GgufType::kString) return WrongType(key, *v, "string");
  return std::optional<std::string>(std::string(v->str));
}

base::Result<std::optional<bool>> OptionalBool(const GgufFile& gguf, std::string_view key) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return std::optional<bool>();
  if (v->type != GgufType::kBool) return WrongType(key, *v, "bool");
  return std::optional<bool>(v->u != 0);
}

base::Result<std::optional<int64_t>> OptionalInt(const GgufFile& gguf, std::string_view key) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return std::optional<int64_t>();
  if (!IsInteger(v->type)) return WrongType(key, *v, "an integer");
  const bool is_unsigned = v->type == GgufType::kUint8 || v->type == GgufType::kUint16 ||
                           v->type == GgufType::kUint32 || v->type == GgufType::kUint64;
  if (is_unsigned) {
    // Clamp so that huge values stay out of range rather than wrapping negative.
    return std::optional<int64_t>(v->u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v->u));
  }
  return std::optional<int64_t>(v->i);
}

base::Result<const GgufValue*> RequiredArray(const GgufFile& gguf, std::string_view key, GgufType element) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return base::NotFound("metadata key '" + std::string(key) + "' is missing");
  if (!v->is_array() || v->array_type != element) {
    return WrongType(key, *v, "array of " + std::string(GgufTypeName(element)));
  }
  return v;
}

base::Result<const GgufValue*> OptionalNumericArray(const GgufFile& gguf, std::string_view key, size_t min_count) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return static_cast<const GgufValue*>(nullptr);
  if (!v->is_array() || !IsNumeric(v->array_type)) return WrongType(key, *v, "a numeric array");
  if (v->array_count < min_count) {
    return base::InvalidArgument("metadata key '" + std::string(key) + "' has " + std::to_string(v->array_count) +
                                 " elements, fewer than the " + std::to_string(min_count) + " tokens");
  }
  return v;
}

}  // namespace engine::tokenizer_internal
