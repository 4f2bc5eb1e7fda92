#include "engine/gguf/gguf.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace engine {

using base::Result;
using base::Status;

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian

}  // namespace

size_t GgufScalarSize(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool: return 1;
    case GgufType::kUint16:
    case GgufType::kInt16: return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32: return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64: return 8;
    default: return 0;
  }
}

namespace {

bool IsKnownType(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

std::string_view GgufTypeName(GgufType type) {
  switch (type) {
    case GgufType::kUint8: return "uint8";
    case GgufType::kInt8: return "int8";
    case GgufType::kUint16: return "uint16";
    case GgufType::kInt16: return "int16";
    case GgufType::kUint32: return "uint32";
    case GgufType::kInt32: return "int32";
    case GgufType::kFloat32: return "float32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "uint64";
    case GgufType::kInt64: return "int64";
    case GgufType::kFloat64: return "float64";
  }
  return "unknown";
}

namespace {

// Reads a scalar of `type` at p into the widened fields of `out`.
void DecodeScalar(GgufType type, const uint8_t* p, GgufValue* out) {
  switch (type) {
    case GgufType::kUint8: out->u = Load<uint8_t>(p); out->i = static_cast<int64_t>(out->u); break;
    case GgufType::kInt8: out->i = Load<int8_t>(p); break;
    case GgufType::kUint16: out->u = Load<uint16_t>(p); out->i = static_cast<int64_t>(out->u); break;
    case GgufType::kInt16: out->i = Load<int16_t>(p); break;
    case GgufType::kUint32: out->u = Load<uint32_t>(p); out->i = static_cast<int64_t>(out->u); break;
    case GgufType::kInt32: out->i = Load<int32_t>(p); break;
    case GgufType::kUint64: out->u = Load<uint64_t>(p); out->i = static_cast<int64_t>(out->u); break;
    case GgufType::kInt64: out->i = Load<int64_t>(p); break;
    case GgufType::kFloat32: out->f = Load<float>(p); break;
    case GgufType::kFloat64: out->f = Load<double>(p); break;
    case GgufType::kBool: out->u = Load<uint8_t>(p) != 0; out->i = static_cast<int64_t>(out->u); break;
    default: break;
  }
  if (type == GgufType::kInt8 || type == GgufType::kInt16 || type == GgufType::kInt32 ||
      type == GgufType::kInt64) {
    out->u = static_cast<uint64_t>(out->i);
  }
}

}  // namespace

double GgufValue::ArrayNumber(uint64_t k) const {
  GgufValue tmp;
  DecodeScalar(array_type, array_data + k * GgufScalarSize(array_type), &tmp);
  if (array_type == GgufType::kFloat32 || array_type == GgufType::kFloat64) return tmp.f;
  if (array_type == GgufType::kUint64 || array_type == GgufType::kBool) return static_cast<double>(tmp.u);
  return static_cast<double>(tmp.i);
}

int64_t GgufValue::ArrayInt(uint64_t k) const {
  GgufValue tmp;
  DecodeScalar(array_type, array_data + k * GgufScalarSize(array_type), &tmp);
  if (array_type == GgufType::kFloat32 || array_type == GgufType::kFloat64) {
    // Converting NaN or an out-of-range float to an integer is undefined
    // behaviour, and file bytes can hold anything: saturate instead.
    if (std::isnan(tmp.f)) return 0;
    if (tmp.f >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
    if (tmp.f < -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(tmp.f);
  }
  return tmp.i;
}

std::optional<int64_t> GgufValue::AsInt() const {
  switch (type) {
    case GgufType::kFloat32:
    case GgufType::kFloat64:
    case GgufType::kString:
    case GgufType::kArray: return std::nullopt;
    default: return i;
  }
}

std::optional<double> GgufValue::AsDouble() const {
  if (type == GgufType::kFloat32 || type == GgufType::kFloat64) return f;
  if (auto v = AsInt()) return static_cast<double>(*v);
  return std::nullopt;
}

std::string TensorInfo::ShapeString() const {
  std::string s = "[";
  for (int d = 0; d < n_dims; ++d) {
    if (d) s += ", ";
    s += std::to_string(ne[d]);
  }
  return s + "]";
}

// A bounds-checked cursor over the file bytes.
class GgufParser {
 public:
  GgufParser(const uint8_t* data, size_t size, const GgufLimits& limits)
      : data_(data), size_(size), limits_(limits) {}

  Status Run(GgufFile* file) {
    uint32_t magic = 0;
    RETURN_IF_ERROR(ReadU32("magic", &magic));
    if (magic != kMagic) return Bad("magic", 0, "not a GGUF file (bad magic)");
    RETURN_IF_ERROR(ReadU32("version", &file->version_));
    if (file->version_ == 1) {
      return base::Unsupported(Where("version", 4) + "GGUF version 1 is not supported (need 2 or 3)");
    }
    if (file->version_ != 2 && file->version_ != 3) {
      if ((file->version_ & 0xFFFF) == 0) {
        return base::Unsupported(Where("version", 4) + "file is big-endian (version field reads " +
                                 std::to_string(file->version_) + "); only little-endian GGUF is supported");
      }
      return Bad("version", 4, "unsupported GGUF version " + std::to_string(file->version_));
    }
    uint64_t n_tensors = 0, n_kv = 0;
    RETURN_IF_ERROR(ReadU64("tensor_count", &n_tensors));
    RETURN_IF_ERROR(ReadU64("metadata_kv_count", &n_kv));
    // Every entry takes at least 8+4 bytes (kv) or 8+4+8+4+8 (tensor).
    RETURN_IF_ERROR(CheckCount("metadata_kv_count", 16, n_kv, limits_.max_kv, 12));
    RETURN_IF_ERROR(CheckCount("tensor_count", 8, n_tensors, limits_.max_tensors, 32));

    // The counts are only bounded by the file size; reserve modestly and
    // let real entries grow the vectors, so a lying count costs nothing.
    file->kv_.reserve(std::min<uint64_t>(n_kv, 1024));
    for (uint64_t k = 0; k < n_kv; ++k) {
      const size_t at = pos_;
      std::string_view key;
      RETURN_IF_ERROR(ReadString("metadata key #" + std::to_string(k), &key));
      GgufValue value;
      value.file_offset = at;
      RETURN_IF_ERROR(ReadValue(std::string(key), 0, &value));
      std::string key_str(key);
      if (file->kv_index_.count(key_str)) return Bad("metadata key '" + key_str + "'", at, "duplicate key");
      file->kv_index_[key_str] = file->kv_.size();
      file->kv_.emplace_back(std::move(key_str), std::move(value));
    }

    if (const GgufValue* a = file->Find("general.alignment")) {
      auto v = a->AsInt();
      if (a->type != GgufType::kUint32 || !v || *v <= 0 || *v > (1 << 20) || (*v & (*v - 1)) != 0) {
        return Bad("general.alignment", a->file_offset,
                   "must be a uint32 power of two up to 1 MiB (got " + std::string(GgufTypeName(a->type)) +
                       (v ? " " + std::to_string(*v) : std::string()) + ")");
      }
      file->alignment_ = static_cast<uint32_t>(*v);
    }

    file->tensors_.reserve(std::min<uint64_t>(n_tensors, 4096));
    std::vector<size_t> info_offsets;  // [n_tensors] where each tensor info starts
    for (uint64_t t = 0; t < n_tensors; ++t) {
      TensorInfo info;
      const size_t at = pos_;
      RETURN_IF_ERROR(ReadTensorInfo(t, file->alignment_, &info));
      if (file->tensor_index_.count(info.name)) {
        return Bad("tensor '" + info.name + "'", at, "duplicate tensor name");
      }
      info_offsets.push_back(at);
      file->tensor_index_[info.name] = file->tensors_.size();
      file->tensors_.push_back(std::move(info));
    }

    const uint64_t data_offset = (pos_ + file->alignment_ - 1) / file->alignment_ * file->alignment_;
    if (data_offset > size_ && !file->tensors_.empty()) {
      return Bad("data section", pos_, "file ends before the tensor data starts");
    }
    file->data_offset_ = data_offset;
    const uint64_t data_size = data_offset <= size_ ? size_ - data_offset : 0;
    for (size_t t = 0; t < file->tensors_.size(); ++t) {
      TensorInfo& info = file->tensors_[t];
      if (info.offset > data_size || info.n_bytes > data_size - info.offset) {
        return Bad("tensor '" + info.name + "' offset", info_offsets[t],
                   "data [" + std::to_string(info.offset) + ", +" + std::to_string(info.n_bytes) +
                       ") lies outside the data section of " + std::to_string(data_size) +
                       " bytes starting at offset " + std::to_string(data_offset) + " (file truncated?)");
      }
      info.data = data_ + data_offset + info.offset;
    }
    return Status::Ok();
  }

 private:
  size_t Remaining() const { return size_ - pos_; }

  static std::string Where(const std::string& field, size_t offset) {
    return "GGUF field '" + field + "' at offset " + std::to_string(offset) + ": ";
  }

  Status Bad(const std::string& field, size_t offset, const std::string& what) const {
    return base::Corruption(Where(field, offset) + what);
  }

  Status Need(const std::string& field, size_t n) const {
    if (n > Remaining()) {
      return Bad(field, pos_, "needs " + std::to_string(n) + " bytes but only " + std::to_string(Remaining()) +
                                  " remain (file truncated?)");
    }
    return Status::Ok();
  }

  // A count is refused before anything is reserved for it: beyond the
  // configured limit it is hostile, beyond what the remaining bytes could
  // hold (at min_entry_bytes each) the file was cut short.
  Status CheckCount(const std::string& field, size_t offset, uint64_t count, uint64_t limit,
                    uint64_t min_entry_bytes) const {
    if (count > limit) {
      return Bad(field, offset, "count " + std::to_string(count) + " exceeds the limit of " + std::to_string(limit));
    }
    if (count > Remaining() / min_entry_bytes) {
      return Bad(field, offset,
                 "count " + std::to_string(count) + " needs at least " + std::to_string(count * min_entry_bytes) +
                     " bytes but only " + std::to_string(Remaining()) + " remain (file truncated?)");
    }
    return Status::Ok();
  }

  Status ReadU32(const std::string& field, uint32_t* out) {
    RETURN_IF_ERROR(Need(field, 4));
    *out = Load<uint32_t>(data_ + pos_);
    pos_ += 4;
    return Status::Ok();
  }

  Status ReadU64(const std::string& field, uint64_t* out) {
    RETURN_IF_ERROR(Need(field, 8));
    *out = Load<uint64_t>(data_ + pos_);
    pos_ += 8;
    return Status::Ok();
  }

  Status ReadString(const std::string& field, std::string_view* out) {
    const size_t at = pos_;
    uint64_t len = 0;
    RETURN_IF_ERROR(ReadU64(field + " length", &len));
    if (len > limits_.max_string_bytes) return Bad(field, at, "string length " + std::to_string(len) + " too large");
    RETURN_IF_ERROR(Need(field, len));
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

  Status ReadValue(const std::string& key, int depth, GgufValue* out) {
    const size_t at = pos_;
    uint32_t raw_type = 0;
    RETURN_IF_ERROR(ReadU32(key + " type", &raw_type));
    if (!IsKnownType(raw_type)) return Bad(key, at, "unknown value type " + std::to_string(raw_type));
    out->type = static_cast<GgufType>(raw_type);
    if (out->type == GgufType::kString) return ReadString(key, &out->str);
    if (out->type != GgufType::kArray) {
      size_t n = GgufScalarSize(out->type);
      RETURN_IF_ERROR(Need(key, n));
      DecodeScalar(out->type, data_ + pos_, out);
      pos_ += n;
      return Status::Ok();
    }
    return ReadArray(key, depth, out);
  }

  Status ReadArray(const std::string& key, int depth, GgufValue* out) {
    const size_t at = pos_;
    if (depth >= limits_.max_array_depth) return Bad(key, at, "arrays nested too deeply");
    uint32_t raw_type = 0;
    RETURN_IF_ERROR(ReadU32(key + " array type", &raw_type));
    if (!IsKnownType(raw_type)) return Bad(key, at, "unknown array element type " + std::to_string(raw_type));
    out->array_type = static_cast<GgufType>(raw_type);
    RETURN_IF_ERROR(ReadU64(key + " array count", &out->array_count));
    if (out->array_count > limits_.max_array_elements) {
      return Bad(key, at, "array of " + std::to_string(out->array_count) + " elements is too large");
    }
    out->array_data = data_ + pos_;
    if (out->array_type == GgufType::kString) {
      // Each string takes at least its 8-byte length.
      if (out->array_count > Remaining() / 8) return Bad(key, at, "array count exceeds the file size");
      out->strings.resize(out->array_count);
      for (uint64_t k = 0; k < out->array_count; ++k) {
        RETURN_IF_ERROR(ReadString(key + "[" + std::to_string(k) + "]", &out->strings[k]));
      }
      return Status::Ok();
    }
    if (out->array_type == GgufType::kArray) {
      // Nested arrays are legal GGUF but unused by models; validate and skip.
      if (out->array_count > Remaining() / 12) return Bad(key, at, "array count exceeds the file size");
      for (uint64_t k = 0; k < out->array_count; ++k) {
        GgufValue inner;
        inner.type = GgufType::kArray;
        RETURN_IF_ERROR(ReadArray(key + "[" + std::to_string(k) + "]", depth + 1, &inner));
      }
      return Status::Ok();
    }
    const size_t elem = GgufScalarSize(out->array_type);
    if (out->array_count > Remaining() / elem) {
      return Bad(key, at, "array of " + std::to_string(out->array_count) + " " +
                              std::string(GgufTypeName(out->array_type)) + " runs past the end of the file");
    }
    pos_ += out->array_count * elem;
    return Status::Ok();
  }

  Status ReadTensorInfo(uint64_t index, uint32_t alignment, TensorInfo* info) {
    const size_t at = pos_;
    const std::string field = "tensor #" + std::to_string(index);
    std::string_view name;
    RETURN_IF_ERROR(ReadString(field + " name", &name));
    info->name = std::string(name);
    const std::string tf = "tensor '" + info->name + "'";
    uint32_t n_dims = 0;
    RETURN_IF_ERROR(ReadU32(tf + " n_dims", &n_dims));
    if (n_dims == 0 || n_dims > 4) return Bad(tf + " n_dims", at, "must be 1..4, got " + std::to_string(n_dims));
    info->n_dims = static_cast<int>(n_dims);
    uint64_t total = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      RETURN_IF_ERROR(ReadU64(tf + " ne[" + std::to_string(d) + "]", &ne));
      if (ne == 0 || ne > (1ull << 40)) return Bad(tf + " ne", at, "dimension " + std::to_string(ne) + " out of range");
      if (total > (1ull << 50) / ne) return Bad(tf + " ne", at, "element count overflows");
      total *= ne;
      info->ne[d] = static_cast<int64_t>(ne);
    }
    uint32_t raw_type = 0;
    RETURN_IF_ERROR(ReadU32(tf + " type", &raw_type));
    std::optional<GgmlTypeTraits> traits = LookupGgmlType(raw_type);
    if (!traits) {
      return base::Unsupported(Where(tf + " type", pos_ - 4) + "unknown ggml tensor type id " +
                               std::to_string(raw_type));
    }
    info->type = traits->type;
    if (info->ne[0] % traits->block_size != 0) {
      return Bad(tf + " ne[0]", at, "row length " + std::to_string(info->ne[0]) + " is not a multiple of the " +
                                        std::string(traits->name) + " block size " +
                                        std::to_string(traits->block_size));
    }
    info->n_bytes = total / static_cast<uint64_t>(traits->block_size) * static_cast<uint64_t>(traits->type_size);
    RETURN_IF_ERROR(ReadU64(tf + " offset", &info->offset));
    if (info->offset % alignment != 0) {
      return Bad(tf + " offset", at, "offset " + std::to_string(info->offset) + " is not aligned to " +
                                         std::to_string(alignment));
    }
    return Status::Ok();
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  GgufLimits limits_;
};

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(const uint8_t* data, size_t size, const GgufLimits& limits) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->data_ = data;
  file->size_ = size;
  GgufParser parser(data, size, limits);
  RETURN_IF_ERROR(parser.Run(file.get()));
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(base::FileSystem* fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<base::MappedFile> mapping, fs->Map(path));
  const uint8_t* data = mapping->data();
  const size_t size = mapping->size();
  auto parsed = Parse(data, size);
  if (!parsed.ok()) return parsed.status().WithContext(path);
  std::unique_ptr<GgufFile> file = std::move(parsed).value();
  file->mapping_ = std::move(mapping);
  return file;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const TensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return base::NotFound("GGUF metadata key '" + std::string(key) + "' is missing");
  if (v->type != GgufType::kString) {
    return base::InvalidArgument("GGUF metadata key '" + std::string(key) + "' at offset " +
                                 std::to_string(v->file_offset) + " is " + std::string(GgufTypeName(v->type)) +
                                 ", expected string");
  }
  return std::string(v->str);
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return base::NotFound("GGUF metadata key '" + std::string(key) + "' is missing");
  auto i = v->AsInt();
  if (!i) {
    return base::InvalidArgument("GGUF metadata key '" + std::string(key) + "' at offset " +
                                 std::to_string(v->file_offset) + " is " + std::string(GgufTypeName(v->type)) +
                                 ", expected an integer");
  }
  return *i;
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return base::NotFound("GGUF metadata key '" + std::string(key) + "' is missing");
  auto d = v->AsDouble();
  if (!d) {
    return base::InvalidArgument("GGUF metadata key '" + std::string(key) + "' at offset " +
                                 std::to_string(v->file_offset) + " is " + std::string(GgufTypeName(v->type)) +
                                 ", expected a number");
  }
  return *d;
}

std::string GgufFile::GetStringOr(std::string_view key, std::string fallback) const {
  auto r = GetString(key);
  return r.ok() ? *r : fallback;
}
int64_t GgufFile::GetIntOr(std::string_view key, int64_t fallback) const {
  auto r = GetInt(key);
  return r.ok() ? *r : fallback;
}
double GgufFile::GetFloatOr(std::string_view key, double fallback) const {
  auto r = GetFloat(key);
  return r.ok() ? *r : fallback;
}
bool GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  const GgufValue* v = Find(key);
  if (!v || v->type != GgufType::kBool) return fallback;
  return v->u != 0;
}

}  // namespace engine
