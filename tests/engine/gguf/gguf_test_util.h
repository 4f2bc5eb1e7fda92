// Helpers for the GGUF tests: a small valid file, and a byte builder for
// hand-made (often broken) headers whose offsets the test knows.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"

namespace gguf_test {

// Little-endian bytes, appended in order; offset() says where the next
// field lands.
class Bytes {
 public:
  Bytes& U8(uint8_t v) { s_.push_back(static_cast<char>(v)); return *this; }
  Bytes& U32(uint32_t v) { return Raw(&v, 4); }
  Bytes& U64(uint64_t v) { return Raw(&v, 8); }
  Bytes& F32(float v) { return Raw(&v, 4); }
  Bytes& Str(std::string_view v) {
    U64(v.size());
    s_.append(v);
    return *this;
  }
  // A metadata key with a scalar value of `type` and `width` bytes.
  Bytes& KvU32(std::string_view key, uint32_t v) { return Str(key).U32(4).U32(v); }
  Bytes& KvStr(std::string_view key, std::string_view v) { return Str(key).U32(8).Str(v); }
  // A 1-D or 2-D tensor info.
  Bytes& Tensor(std::string_view name, uint32_t type, uint64_t ne0, uint64_t ne1, uint64_t offset) {
    Str(name).U32(ne1 == 0 ? 1 : 2).U64(ne0);
    if (ne1 != 0) U64(ne1);
    return U32(type).U64(offset);
  }
  Bytes& Header(uint64_t n_tensors, uint64_t n_kv) { return U32(0x46554747).U32(3).U64(n_tensors).U64(n_kv); }
  Bytes& PadTo(size_t alignment) {
    s_.resize((s_.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  Bytes& Zeros(size_t n) {
    s_.append(n, '\0');
    return *this;
  }
  size_t offset() const { return s_.size(); }
  const std::string& str() const { return s_; }

 private:
  Bytes& Raw(const void* p, size_t n) {
    s_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string s_;
};

// The GgufFile views `bytes`, so a temporary would dangle.
base::Result<std::unique_ptr<engine::GgufFile>> ParseBytes(std::string&& bytes) = delete;
inline base::Result<std::unique_ptr<engine::GgufFile>> ParseBytes(const std::string& bytes) {
  return engine::GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// A small valid model-shaped file (a few hundred bytes): every scalar
// type, a string, numeric and string arrays, and three tensors of
// different types.
inline engine::GgufWriter SmallWriter() {
  using engine::GgufMetaValue;
  using engine::GgufType;
  engine::GgufWriter w;
  auto ok = [](base::Status s) {
    if (!s.ok()) std::abort();  // test fixture bug
  };
  ok(w.AddMeta("general.architecture", GgufMetaValue::String("llama")));
  ok(w.AddMeta("general.name", GgufMetaValue::String("small")));
  ok(w.AddMeta("llama.block_count", GgufMetaValue::U32(1)));
  ok(w.AddMeta("llama.embedding_length", GgufMetaValue::U32(32)));
  ok(w.AddMeta("llama.rope.freq_base", GgufMetaValue::F32(10000.0f)));
  ok(w.AddMeta("x.i8", GgufMetaValue::I8(-3)));
  ok(w.AddMeta("x.u16", GgufMetaValue::U16(65535)));
  ok(w.AddMeta("x.i64", GgufMetaValue::I64(-1234567890123)));
  ok(w.AddMeta("x.f64", GgufMetaValue::F64(0.1)));
  ok(w.AddMeta("x.bool", GgufMetaValue::Bool(true)));
  ok(w.AddMeta("tokenizer.ggml.tokens", GgufMetaValue::StringArray({"a", "b", "<s>"})));
  ok(w.AddMeta("tokenizer.ggml.scores", GgufMetaValue::F32Array({0.f, -1.f, -2.f})));
  engine::GgufTensorToWrite t;
  t.name = "token_embd.weight";
  t.n_dims = 2;
  t.ne[0] = 8;
  t.ne[1] = 3;
  std::string f32(8 * 3 * 4, '\0');
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<char>(i * 7 + 1);
  ok(w.AddTensor(t, f32));
  t.name = "blk.0.attn_q.weight";
  t.type = engine::GgmlType::kQ8_0;
  t.ne[0] = 32;
  t.ne[1] = 2;
  std::string q8(2 * 34, '\0');
  for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<char>(i * 13 + 5);
  ok(w.AddTensor(t, q8));
  t.name = "output_norm.weight";
  t.type = engine::GgmlType::kF16;
  t.n_dims = 1;
  t.ne[0] = 5;
  t.ne[1] = 1;
  ok(w.AddTensor(t, std::string(10, '\x3c')));
  return w;
}

inline std::string SmallFile() { return SmallWriter().Serialize(); }

}  // namespace gguf_test
