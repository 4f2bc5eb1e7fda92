// Element type of the dense KV cache.
#pragma once

#include <optional>
#include <string_view>

namespace engine {

enum class KvType { kF32, kF16 };

inline std::optional<KvType> ParseKvType(std::string_view name) {
  if (name == "f32") return KvType::kF32;
  if (name == "f16") return KvType::kF16;
  return std::nullopt;
}

}  // namespace engine
