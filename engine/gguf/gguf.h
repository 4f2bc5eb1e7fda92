// GGUF v2/v3 reader: metadata and tensor directory over a mapped file.
//
// Parsing validates every count, length, offset, type and dimension before
// using it, and reports the first problem with the field name and the byte
// offset where it was found. Tensor data is never copied: TensorInfo::data
// points into the mapping, which the GgufFile keeps alive.
//
// Threading: a GgufFile is immutable after Open/Parse; share it freely.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/filesystem.h"
#include "base/status.h"
#include "engine/quant/types.h"

namespace engine {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view GgufTypeName(GgufType type);
// Bytes of one scalar of `type`; 0 for strings and arrays.
size_t GgufScalarSize(GgufType type);

// One metadata value. Scalars are widened; strings view the mapping.
struct GgufValue {
  GgufType type = GgufType::kUint8;
  uint64_t u = 0;  // unsigned ints and bool
  int64_t i = 0;   // signed ints
  double f = 0;    // floats
  std::string_view str;
  // Arrays: element type and count. Numeric elements are read on demand
  // from `array_data`; string elements are listed in `strings`.
  GgufType array_type = GgufType::kUint8;
  uint64_t array_count = 0;
  const uint8_t* array_data = nullptr;
  std::vector<std::string_view> strings;
  // Where the key/value entry starts in the file, for error messages.
  uint64_t file_offset = 0;

  bool is_array() const { return type == GgufType::kArray; }
  // Numeric array element k converted to the requested type. Callers check
  // k < array_count.
  double ArrayNumber(uint64_t k) const;
  int64_t ArrayInt(uint64_t k) const;
  // Scalar conversions; nullopt when the value is not numeric.
  std::optional<int64_t> AsInt() const;
  std::optional<double> AsDouble() const;
};

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::kF32;
  int n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the row length (fastest)
  uint64_t offset = 0;           // from the start of the data section
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  std::string ShapeString() const;  // "[256, 512]"
};

struct GgufLimits {
  uint64_t max_string_bytes = 64ull << 20;
  uint64_t max_array_elements = 64ull << 20;
  uint64_t max_tensors = 1ull << 20;
  uint64_t max_kv = 1ull << 20;
  int max_array_depth = 2;
};

class GgufFile {
 public:
  // Maps the file and parses it.
  static base::Result<std::unique_ptr<GgufFile>> Open(base::FileSystem* fs, const std::string& path);
  // Parses bytes the caller keeps alive for the GgufFile's lifetime.
  static base::Result<std::unique_ptr<GgufFile>> Parse(const uint8_t* data, size_t size,
                                                       const GgufLimits& limits = {});

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  size_t file_size() const { return size_; }
  const uint8_t* file_data() const { return data_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* Find(std::string_view key) const;

  // Typed getters: an error names the key when it is missing or mistyped.
  base::Result<std::string> GetString(std::string_view key) const;
  base::Result<int64_t> GetInt(std::string_view key) const;
  base::Result<double> GetFloat(std::string_view key) const;
  std::string GetStringOr(std::string_view key, std::string fallback) const;
  int64_t GetIntOr(std::string_view key, int64_t fallback) const;
  double GetFloatOr(std::string_view key, double fallback) const;
  bool GetBoolOr(std::string_view key, bool fallback) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* FindTensor(std::string_view name) const;

 private:
  GgufFile() = default;
  friend class GgufParser;

  std::unique_ptr<base::MappedFile> mapping_;  // null when parsing caller bytes
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace engine
