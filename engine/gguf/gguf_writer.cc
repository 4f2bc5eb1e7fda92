#include "engine/gguf/gguf_writer.h"

#include <bit>
#include <cstring>

namespace engine {

using base::Result;
using base::Status;

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint32_t kVersion = 3;
constexpr uint64_t kMaxKeyBytes = 65535;  // the GGUF spec's key limit
constexpr uint32_t kMaxAlignment = 1u << 20;

bool IsKnown(GgufType type) { return static_cast<uint32_t>(type) <= static_cast<uint32_t>(GgufType::kFloat64); }

uint64_t AlignUp(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

GgufMetaValue Scalar(GgufType type, uint64_t bits) {
  GgufMetaValue v;
  v.type = type;
  v.scalar_bits = bits;
  return v;
}

// Little-endian appenders for the header.
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutString(std::string* out, std::string_view s) {
  PutU64(out, s.size());
  out->append(s);
}

void PutValueBody(std::string* out, const GgufMetaValue& v);

void PutArrayBody(std::string* out, const GgufMetaValue& v) {
  PutU32(out, static_cast<uint32_t>(v.array_type));
  PutU64(out, v.array_count);
  if (v.array_type == GgufType::kString) {
    for (const std::string& s : v.array_strings) PutString(out, s);
  } else if (v.array_type == GgufType::kArray) {
    for (const GgufMetaValue& item : v.array_items) PutArrayBody(out, item);
  } else {
    out->append(v.array_bytes);
  }
}

void PutValueBody(std::string* out, const GgufMetaValue& v) {
  if (v.type == GgufType::kString) {
    PutString(out, v.str);
  } else if (v.type == GgufType::kArray) {
    PutArrayBody(out, v);
  } else {
    const uint64_t n = GgufScalarSize(v.type);
    for (uint64_t i = 0; i < n; ++i) out->push_back(static_cast<char>((v.scalar_bits >> (8 * i)) & 0xff));
  }
}

// Checks that a value is self-consistent; `depth` counts enclosing arrays.
Status ValidateValue(const std::string& key, const GgufMetaValue& v, int depth) {
  if (!IsKnown(v.type)) {
    return base::InvalidArgument("GGUF key '" + key + "': unknown value type " +
                                 std::to_string(static_cast<uint32_t>(v.type)));
  }
  if (v.type != GgufType::kArray) return Status::Ok();
  if (!IsKnown(v.array_type)) {
    return base::InvalidArgument("GGUF key '" + key + "': unknown array element type " +
                                 std::to_string(static_cast<uint32_t>(v.array_type)));
  }
  if (v.array_type == GgufType::kString) {
    if (v.array_strings.size() != v.array_count) {
      return base::InvalidArgument("GGUF key '" + key + "': string array count does not match its elements");
    }
    return Status::Ok();
  }
  if (v.array_type == GgufType::kArray) {
    // GgufFile reads one level of nesting; deeper files would not load.
    if (depth >= 1) return base::InvalidArgument("GGUF key '" + key + "': arrays nested more than one level");
    if (v.array_items.size() != v.array_count) {
      return base::InvalidArgument("GGUF key '" + key + "': nested array count does not match its elements");
    }
    for (const GgufMetaValue& item : v.array_items) {
      if (item.type != GgufType::kArray) {
        return base::InvalidArgument("GGUF key '" + key + "': element of an array of arrays is not an array");
      }
      RETURN_IF_ERROR(ValidateValue(key, item, depth + 1));
    }
    return Status::Ok();
  }
  if (v.array_bytes.size() / GgufScalarSize(v.array_type) != v.array_count ||
      v.array_bytes.size() % GgufScalarSize(v.array_type) != 0) {
    return base::InvalidArgument("GGUF key '" + key + "': packed " + std::string(GgufTypeName(v.array_type)) +
                                 " array holds " + std::to_string(v.array_bytes.size()) + " bytes for " +
                                 std::to_string(v.array_count) + " elements");
  }
  return Status::Ok();
}

}  // namespace

GgufMetaValue GgufMetaValue::U8(uint8_t v) { return Scalar(GgufType::kUint8, v); }
GgufMetaValue GgufMetaValue::I8(int8_t v) { return Scalar(GgufType::kInt8, static_cast<uint8_t>(v)); }
GgufMetaValue GgufMetaValue::U16(uint16_t v) { return Scalar(GgufType::kUint16, v); }
GgufMetaValue GgufMetaValue::I16(int16_t v) { return Scalar(GgufType::kInt16, static_cast<uint16_t>(v)); }
GgufMetaValue GgufMetaValue::U32(uint32_t v) { return Scalar(GgufType::kUint32, v); }
GgufMetaValue GgufMetaValue::I32(int32_t v) { return Scalar(GgufType::kInt32, static_cast<uint32_t>(v)); }
GgufMetaValue GgufMetaValue::U64(uint64_t v) { return Scalar(GgufType::kUint64, v); }
GgufMetaValue GgufMetaValue::I64(int64_t v) { return Scalar(GgufType::kInt64, static_cast<uint64_t>(v)); }
GgufMetaValue GgufMetaValue::F32(float v) { return Scalar(GgufType::kFloat32, std::bit_cast<uint32_t>(v)); }
GgufMetaValue GgufMetaValue::F64(double v) { return Scalar(GgufType::kFloat64, std::bit_cast<uint64_t>(v)); }
GgufMetaValue GgufMetaValue::Bool(bool v) { return Scalar(GgufType::kBool, v ? 1 : 0); }

GgufMetaValue GgufMetaValue::String(std::string v) {
  GgufMetaValue out;
  out.type = GgufType::kString;
  out.str = std::move(v);
  return out;
}

GgufMetaValue GgufMetaValue::NumericArray(GgufType element_type, uint64_t count, std::string packed) {
  GgufMetaValue out;
  out.type = GgufType::kArray;
  out.array_type = element_type;
  out.array_count = count;
  out.array_bytes = std::move(packed);
  return out;
}

GgufMetaValue GgufMetaValue::Int32Array(const std::vector<int32_t>& v) {
  std::string packed;
  packed.reserve(v.size() * 4);
  for (int32_t x : v) PutU32(&packed, static_cast<uint32_t>(x));
  return NumericArray(GgufType::kInt32, v.size(), std::move(packed));
}

GgufMetaValue GgufMetaValue::F32Array(const std::vector<float>& v) {
  std::string packed;
  packed.reserve(v.size() * 4);
  for (float x : v) PutU32(&packed, std::bit_cast<uint32_t>(x));
  return NumericArray(GgufType::kFloat32, v.size(), std::move(packed));
}

GgufMetaValue GgufMetaValue::StringArray(std::vector<std::string> v) {
  GgufMetaValue out;
  out.type = GgufType::kArray;
  out.array_type = GgufType::kString;
  out.array_count = v.size();
  out.array_strings = std::move(v);
  return out;
}

GgufMetaValue GgufMetaValue::ArrayOfArrays(std::vector<GgufMetaValue> items) {
  GgufMetaValue out;
  out.type = GgufType::kArray;
  out.array_type = GgufType::kArray;
  out.array_count = items.size();
  out.array_items = std::move(items);
  return out;
}

Result<GgufMetaValue> GgufMetaValue::FromParsed(const GgufValue& v) {
  switch (v.type) {
    case GgufType::kUint8:
    case GgufType::kUint16:
    case GgufType::kUint32:
    case GgufType::kUint64:
    case GgufType::kBool: return Scalar(v.type, v.u);
    case GgufType::kInt8: return I8(static_cast<int8_t>(v.i));
    case GgufType::kInt16: return I16(static_cast<int16_t>(v.i));
    case GgufType::kInt32: return I32(static_cast<int32_t>(v.i));
    case GgufType::kInt64: return I64(v.i);
    case GgufType::kFloat32: return F32(static_cast<float>(v.f));  // widened exactly, so this is exact
    case GgufType::kFloat64: return F64(v.f);
    case GgufType::kString: return String(std::string(v.str));
    case GgufType::kArray: break;
  }
  if (v.array_type == GgufType::kString) {
    std::vector<std::string> strings(v.strings.begin(), v.strings.end());
    return StringArray(std::move(strings));
  }
  if (v.array_type == GgufType::kArray) {
    return base::Unsupported("nested GGUF arrays are validated but not kept by the reader; cannot copy them");
  }
  const uint64_t n = v.array_count * GgufScalarSize(v.array_type);
  return NumericArray(v.array_type, v.array_count,
                      std::string(reinterpret_cast<const char*>(v.array_data), static_cast<size_t>(n)));
}

Status GgufWriter::AddMeta(std::string key, GgufMetaValue value) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return base::InvalidArgument("GGUF key must be 1.." + std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (keys_.count(key)) return base::InvalidArgument("GGUF key '" + key + "' added twice");
  RETURN_IF_ERROR(ValidateValue(key, value, 0));
  if (key == "general.alignment") {
    const uint64_t a = value.scalar_bits;
    if (value.type != GgufType::kUint32 || a == 0 || a > kMaxAlignment || (a & (a - 1)) != 0) {
      return base::InvalidArgument("GGUF key 'general.alignment' must be a uint32 power of two up to 1 MiB");
    }
    alignment_ = static_cast<uint32_t>(a);
  }
  keys_.insert(key);
  meta_.push_back({std::move(key), std::move(value)});
  return Status::Ok();
}

Status GgufWriter::AddTensor(const GgufTensorToWrite& info, std::string_view data) {
  const std::string what = "tensor '" + info.name + "'";
  if (info.name.empty()) return base::InvalidArgument("tensor name is empty");
  if (tensor_names_.count(info.name)) return base::InvalidArgument(what + " added twice");
  if (info.n_dims < 1 || info.n_dims > 4) {
    return base::InvalidArgument(what + ": n_dims must be 1..4, got " + std::to_string(info.n_dims));
  }
  std::optional<GgmlTypeTraits> traits = LookupGgmlType(static_cast<uint32_t>(info.type));
  if (!traits) return base::InvalidArgument(what + ": unknown ggml type");
  uint64_t elements = 1;
  for (int d = 0; d < 4; ++d) {
    const int64_t ne = info.ne[d];
    if (ne < 1 || (d >= info.n_dims && ne != 1) || ne > (int64_t{1} << 40)) {
      return base::InvalidArgument(what + ": bad dimension ne[" + std::to_string(d) + "] = " + std::to_string(ne));
    }
    if (elements > (uint64_t{1} << 50) / static_cast<uint64_t>(ne)) {
      return base::InvalidArgument(what + ": element count overflows");
    }
    elements *= static_cast<uint64_t>(ne);
  }
  if (info.ne[0] % traits->block_size != 0) {
    return base::InvalidArgument(what + ": row length " + std::to_string(info.ne[0]) +
                                 " is not a multiple of the " + std::string(traits->name) + " block size " +
                                 std::to_string(traits->block_size));
  }
  const uint64_t need = elements / static_cast<uint64_t>(traits->block_size) * static_cast<uint64_t>(traits->type_size);
  if (data.size() != need) {
    return base::InvalidArgument(what + ": " + std::to_string(data.size()) + " data bytes given, " +
                                 std::string(traits->name) + " shape needs " + std::to_string(need));
  }
  tensor_names_.insert(info.name);
  Tensor t;
  t.info = info;
  t.data = data;
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

Status GgufWriter::AddTensor(const GgufTensorToWrite& info, std::string data) {
  auto owned = std::make_unique<std::string>(std::move(data));
  RETURN_IF_ERROR(AddTensor(info, std::string_view(*owned)));
  tensors_.back().owned = std::move(owned);  // the heap string does not move, so the view stays valid
  return Status::Ok();
}

std::string GgufWriter::EncodeHeader() const {
  std::string out;
  PutU32(&out, kMagic);
  PutU32(&out, kVersion);
  PutU64(&out, tensors_.size());
  PutU64(&out, meta_.size());
  for (const Meta& m : meta_) {
    PutString(&out, m.key);
    PutU32(&out, static_cast<uint32_t>(m.value.type));
    PutValueBody(&out, m.value);
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    PutString(&out, t.info.name);
    PutU32(&out, static_cast<uint32_t>(t.info.n_dims));
    for (int d = 0; d < t.info.n_dims; ++d) PutU64(&out, static_cast<uint64_t>(t.info.ne[d]));
    PutU32(&out, static_cast<uint32_t>(t.info.type));
    PutU64(&out, offset);
    offset += AlignUp(t.data.size(), alignment_);
  }
  if (!tensors_.empty() || pad_empty_data_section_) out.resize(AlignUp(out.size(), alignment_), '\0');
  return out;
}

uint64_t GgufWriter::DataBytes() const {
  uint64_t n = 0;
  for (const Tensor& t : tensors_) n += AlignUp(t.data.size(), alignment_);
  return n;
}

uint64_t GgufWriter::FileSize() const { return EncodeHeader().size() + DataBytes(); }

template <typename Sink>
Status GgufWriter::Emit(Sink&& sink) const {
  RETURN_IF_ERROR(sink(EncodeHeader()));
  const std::string zeros(alignment_, '\0');
  for (const Tensor& t : tensors_) {
    RETURN_IF_ERROR(sink(t.data));
    const uint64_t pad = AlignUp(t.data.size(), alignment_) - t.data.size();
    if (pad > 0) RETURN_IF_ERROR(sink(std::string_view(zeros).substr(0, pad)));
  }
  return Status::Ok();
}

std::string GgufWriter::Serialize() const {
  std::string out;
  out.reserve(FileSize());
  Emit([&out](std::string_view bytes) {
    out.append(bytes);
    return Status::Ok();
  }).IgnoreError();  // appending to a string cannot fail
  return out;
}

Status GgufWriter::WriteTo(base::FileSystem* fs, const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    ASSIGN_OR_RETURN(std::unique_ptr<base::WritableFile> file, fs->OpenWritable(tmp, base::OpenMode::kTruncate));
    Status s = Emit([&file](std::string_view bytes) { return file->Append(bytes); });
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      fs->Remove(tmp).IgnoreError();
      return s.WithContext("writing " + path);
    }
  }
  Status s = fs->Rename(tmp, path);
  if (!s.ok()) {
    fs->Remove(tmp).IgnoreError();
    return s;
  }
  return fs->SyncDir(base::DirName(path));
}

Result<GgufWriter> CopyGguf(const GgufFile& file) {
  GgufWriter writer;
  for (const auto& [key, value] : file.metadata()) {
    auto copied = GgufMetaValue::FromParsed(value);
    if (!copied.ok()) return copied.status().WithContext("GGUF key '" + key + "'");
    RETURN_IF_ERROR(writer.AddMeta(key, std::move(copied).value()));
  }
  for (const TensorInfo& t : file.tensors()) {
    GgufTensorToWrite info;
    info.name = t.name;
    info.type = t.type;
    info.n_dims = t.n_dims;
    for (int d = 0; d < 4; ++d) info.ne[d] = t.ne[d];
    RETURN_IF_ERROR(writer.AddTensor(
        info, std::string_view(reinterpret_cast<const char*>(t.data), static_cast<size_t>(t.n_bytes))));
  }
  // Vocab-only files come both ways (ggml pads, gguf-py does not); keep
  // whichever this one used, so the copy is byte-identical.
  if (file.tensors().empty()) writer.set_pad_empty_data_section(writer.FileSize() == file.file_size());
  return writer;
}

}  // namespace engine
