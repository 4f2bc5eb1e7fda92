// GGML tensor element types: ids as stored in GGUF, and their block layout.
//
// Quantized types pack `block_size` consecutive values of a row into
// `type_size` bytes. A row of n values takes n / block_size blocks, so n
// must be a multiple of block_size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace engine {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct GgmlTypeTraits {
  GgmlType type;
  std::string_view name;  // "q4_K", as ggml spells it
  int64_t block_size;     // values per block
  int64_t type_size;      // bytes per block
  bool compute_supported; // longhaul can run matmuls with it
};

// Traits for a raw id read from a file; nullopt for ids longhaul does not
// know at all (so it cannot even size the tensor).
std::optional<GgmlTypeTraits> LookupGgmlType(uint32_t id);
const GgmlTypeTraits& TraitsOf(GgmlType type);

// Bytes taken by `n` values of `type`; n must be a multiple of block_size.
inline int64_t RowBytes(GgmlType type, int64_t n) {
  const GgmlTypeTraits& t = TraitsOf(type);
  return n / t.block_size * t.type_size;
}

// Parses "f32", "q8_0", "q4_k" (case-insensitive).
std::optional<GgmlType> ParseGgmlType(std::string_view name);

// Block sizes of the k-quants ("super-blocks").
inline constexpr int64_t kQkK = 256;
inline constexpr int64_t kQk8_0 = 32;
inline constexpr int64_t kQk4_0 = 32;

}  // namespace engine
