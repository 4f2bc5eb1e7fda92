#include "engine/gguf/fingerprint.h"

#include <algorithm>
#include <bit>
#include <vector>

namespace engine {

using base::Hash128Value;
using base::Hasher128;
using base::Result;

namespace {

void PutU64(Hasher128* h, uint64_t v) {
  uint8_t bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(v >> (8 * i));
  h->Update(bytes, sizeof bytes);
}

void PutBytes(Hasher128* h, std::string_view s) {
  PutU64(h, s.size());
  h->Update(s);
}

// Scalars are hashed widened to 64 bits next to their type, so the
// encoding is fixed-width whatever the stored width.
void PutValue(Hasher128* h, const GgufValue& v) {
  PutU64(h, static_cast<uint64_t>(v.type));
  switch (v.type) {
    case GgufType::kString: PutBytes(h, v.str); return;
    case GgufType::kFloat32:
    case GgufType::kFloat64: PutU64(h, std::bit_cast<uint64_t>(v.f)); return;
    case GgufType::kArray: break;
    default: PutU64(h, v.u); return;
  }
  PutU64(h, static_cast<uint64_t>(v.array_type));
  PutU64(h, v.array_count);
  if (v.array_type == GgufType::kString) {
    for (std::string_view s : v.strings) PutBytes(h, s);
  } else if (v.array_type != GgufType::kArray) {
    // Numeric elements are contiguous in the mapping: hash them in place.
    h->Update(v.array_data, v.array_count * GgufScalarSize(v.array_type));
  }
  // Nested arrays are not kept by the reader; their count stands for them.
}

}  // namespace

bool IsFingerprintKey(std::string_view key, std::string_view arch) {
  if (key == "general.architecture" || key == "general.quantization_version") return true;
  if (key.starts_with("tokenizer.ggml.")) return true;
  return !arch.empty() && key.size() > arch.size() && key.starts_with(arch) && key[arch.size()] == '.';
}

Result<Hash128Value> ModelFingerprint(const GgufFile& file, base::ThreadPool* pool) {
  ASSIGN_OR_RETURN(const std::string arch, file.GetString("general.architecture"));

  std::vector<const std::pair<std::string, GgufValue>*> keys;
  for (const auto& kv : file.metadata()) {
    if (IsFingerprintKey(kv.first, arch)) keys.push_back(&kv);
  }
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->first < b->first; });

  std::vector<const TensorInfo*> tensors;
  tensors.reserve(file.tensors().size());
  for (const TensorInfo& t : file.tensors()) tensors.push_back(&t);
  std::sort(tensors.begin(), tensors.end(), [](auto* a, auto* b) { return a->name < b->name; });

  // One digest per tensor's bytes: [n_tensors], filled in parallel.
  std::vector<Hash128Value> digests(tensors.size());
  auto hash_range = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const TensorInfo* t = tensors[static_cast<size_t>(i)];
      digests[static_cast<size_t>(i)] = base::Hash128(t->data, t->n_bytes);
    }
  };
  if (pool != nullptr && tensors.size() > 1) {
    pool->ParallelFor(static_cast<int64_t>(tensors.size()), 1, hash_range);
  } else {
    hash_range(0, static_cast<int64_t>(tensors.size()));
  }

  Hasher128 h;
  PutBytes(&h, kFingerprintDomain);
  PutU64(&h, keys.size());
  for (const auto* kv : keys) {
    PutBytes(&h, kv->first);
    PutValue(&h, kv->second);
  }
  PutU64(&h, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo* t = tensors[i];
    PutBytes(&h, t->name);
    PutU64(&h, static_cast<uint64_t>(t->type));
    PutU64(&h, static_cast<uint64_t>(t->n_dims));
    for (int d = 0; d < t->n_dims; ++d) PutU64(&h, static_cast<uint64_t>(t->ne[d]));
    PutU64(&h, t->n_bytes);
    PutU64(&h, digests[i].low);
    PutU64(&h, digests[i].high);
  }
  return h.Digest();
}

Result<std::string> ModelFingerprintHex(const GgufFile& file, base::ThreadPool* pool) {
  ASSIGN_OR_RETURN(Hash128Value h, ModelFingerprint(file, pool));
  return h.ToHex();
}

}  // namespace engine
