// GGUF v3 writer: metadata of every value type, tensors of any GgmlType.
//
// The layout is the one ggml and gguf-py produce, so a file read by
// GgufFile and written back (same metadata order, same tensors) comes out
// byte-identical:
//   header | kv pairs | tensor infos | zero pad to alignment |
//   tensor 0 data | zero pad | tensor 1 data | zero pad | ...
// Tensor offsets are assigned in insertion order, each rounded up to the
// alignment (`general.alignment` when set, else 32). A file without tensors
// is padded too, as ggml writes it; gguf-py leaves such vocab-only files
// unpadded, which set_pad_empty_data_section(false) reproduces.
//
// Ownership: tensor bytes added with AddTensor(info, view) are borrowed and
// must outlive WriteTo/Serialize; AddTensor(info, std::string) keeps its own
// copy. Nothing is copied while writing: tensor bytes go straight from the
// caller's memory (or a mapped GgufFile) to the file.
//
// Threading: a GgufWriter is built and written by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/filesystem.h"
#include "base/status.h"
#include "engine/gguf/gguf.h"
#include "engine/quant/types.h"

namespace engine {

// One metadata value to write. Build it with the named constructors.
struct GgufMetaValue {
  GgufType type = GgufType::kUint8;
  uint64_t scalar_bits = 0;  // the scalar's little-endian bytes, zero-extended
  std::string str;           // kString
  // Arrays. Numeric elements are kept packed exactly as they are stored.
  GgufType array_type = GgufType::kUint8;
  uint64_t array_count = 0;
  std::string array_bytes;                // numeric and bool elements
  std::vector<std::string> array_strings; // kString elements
  std::vector<GgufMetaValue> array_items; // kArray elements (nested arrays)

  static GgufMetaValue U8(uint8_t v);
  static GgufMetaValue I8(int8_t v);
  static GgufMetaValue U16(uint16_t v);
  static GgufMetaValue I16(int16_t v);
  static GgufMetaValue U32(uint32_t v);
  static GgufMetaValue I32(int32_t v);
  static GgufMetaValue U64(uint64_t v);
  static GgufMetaValue I64(int64_t v);
  static GgufMetaValue F32(float v);
  static GgufMetaValue F64(double v);
  static GgufMetaValue Bool(bool v);
  static GgufMetaValue String(std::string v);
  // `element_type` is a numeric or bool type; `packed` holds count elements
  // of it, little-endian (its size must be count * element size).
  static GgufMetaValue NumericArray(GgufType element_type, uint64_t count, std::string packed);
  static GgufMetaValue Int32Array(const std::vector<int32_t>& v);
  static GgufMetaValue F32Array(const std::vector<float>& v);
  static GgufMetaValue StringArray(std::vector<std::string> v);
  static GgufMetaValue ArrayOfArrays(std::vector<GgufMetaValue> items);

  // The same value as parsed by GgufFile (scalars, strings and arrays of
  // scalars or strings). Nested arrays are not kept by the reader, so they
  // give Unsupported.
  static base::Result<GgufMetaValue> FromParsed(const GgufValue& v);
};

// Where a tensor goes and what it looks like; ne[0] is the row length.
struct GgufTensorToWrite {
  std::string name;
  GgmlType type = GgmlType::kF32;
  int n_dims = 1;
  int64_t ne[4] = {1, 1, 1, 1};
};

class GgufWriter {
 public:
  GgufWriter() = default;
  GgufWriter(GgufWriter&&) = default;
  GgufWriter& operator=(GgufWriter&&) = default;

  // Appends a key. Duplicate keys and malformed values are rejected.
  // `general.alignment` must be a uint32 power of two; it sets the padding.
  base::Status AddMeta(std::string key, GgufMetaValue value);
  // Appends a tensor whose bytes the caller keeps alive until written.
  // `data.size()` must equal what type and shape need.
  base::Status AddTensor(const GgufTensorToWrite& info, std::string_view data);
  // Appends a tensor that owns its bytes.
  base::Status AddTensor(const GgufTensorToWrite& info, std::string data);

  // Whether a file without tensors still ends with padding to alignment.
  void set_pad_empty_data_section(bool pad) { pad_empty_data_section_ = pad; }

  uint32_t alignment() const { return alignment_; }
  size_t meta_count() const { return meta_.size(); }
  size_t tensor_count() const { return tensors_.size(); }
  // Size of the whole file that would be written.
  uint64_t FileSize() const;

  // Writes path.tmp, fsyncs it, renames it over `path` and syncs the
  // directory, so a crash leaves either the old file or the whole new one.
  base::Status WriteTo(base::FileSystem* fs, const std::string& path) const;
  // The whole file in memory (tests, fuzz seeds).
  std::string Serialize() const;

 private:
  struct Meta {
    std::string key;
    GgufMetaValue value;
  };
  struct Tensor {
    GgufTensorToWrite info;
    std::string_view data;
    std::unique_ptr<std::string> owned;  // set when the writer owns the bytes
    uint64_t offset = 0;                 // from the start of the data section
  };
  // Calls sink(bytes) for each piece of the file in order; stops at the
  // first error.
  template <typename Sink>
  base::Status Emit(Sink&& sink) const;
  std::string EncodeHeader() const;
  uint64_t DataBytes() const;

  uint32_t alignment_ = 32;
  bool pad_empty_data_section_ = true;
  std::vector<Meta> meta_;
  std::unordered_set<std::string> keys_;
  std::vector<Tensor> tensors_;
  std::unordered_set<std::string> tensor_names_;
};

// A writer holding every metadata key (in file order) and every tensor (in
// file order, data borrowed from `file`) of a parsed file. `file` must
// outlive the writer's use.
base::Result<GgufWriter> CopyGguf(const GgufFile& file);

}  // namespace engine
