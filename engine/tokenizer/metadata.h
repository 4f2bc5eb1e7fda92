// Typed access to tokenizer metadata keys, with errors that name the key
// (internal).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/gguf/gguf.h"

namespace engine::tokenizer_internal {

base::Result<std::string> RequiredString(const GgufFile& gguf, std::string_view key);
base::Result<std::optional<std::string>> OptionalString(const GgufFile& gguf, std::string_view key);
base::Result<std::optional<bool>> OptionalBool(const GgufFile& gguf, std::string_view key);
// An integer scalar of any integer type.
base::Result<std::optional<int64_t>> OptionalInt(const GgufFile& gguf, std::string_view key);
// An array whose elements have type `element`.
base::Result<const GgufValue*> RequiredArray(const GgufFile& gguf, std::string_view key, GgufType element);
// A numeric array with at least `min_count` elements, or nullptr if absent.
base::Result<const GgufValue*> OptionalNumericArray(const GgufFile& gguf, std::string_view key, size_t min_count);

}  // namespace engine::tokenizer_internal
