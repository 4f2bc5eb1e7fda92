// Writes the GGUF fuzzing seed corpus: a handful of small valid files
// (a few hundred bytes each) that cover every value type, arrays, nested
// arrays, several tensor types and alignments, and version 2.
//
// usage: gguf_fuzz_corpus OUT_DIR
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/filesystem.h"
#include "engine/gguf/gguf_writer.h"

namespace {

using engine::GgmlType;
using engine::GgufMetaValue;
using engine::GgufTensorToWrite;
using engine::GgufType;
using engine::GgufWriter;

void Ok(const base::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::exit(1);
  }
}

GgufTensorToWrite Tensor(const std::string& name, GgmlType type, int64_t ne0, int64_t ne1) {
  GgufTensorToWrite t;
  t.name = name;
  t.type = type;
  t.n_dims = ne1 > 1 ? 2 : 1;
  t.ne[0] = ne0;
  t.ne[1] = ne1;
  return t;
}

std::string Pattern(size_t n, int salt) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 37 + static_cast<size_t>(salt));
  return s;
}

GgufWriter ModelLike() {
  GgufWriter w;
  Ok(w.AddMeta("general.architecture", GgufMetaValue::String("llama")));
  Ok(w.AddMeta("general.name", GgufMetaValue::String("seed")));
  Ok(w.AddMeta("llama.block_count", GgufMetaValue::U32(1)));
  Ok(w.AddMeta("llama.embedding_length", GgufMetaValue::U32(8)));
  Ok(w.AddMeta("llama.rope.freq_base", GgufMetaValue::F32(10000.0f)));
  Ok(w.AddMeta("tokenizer.ggml.model", GgufMetaValue::String("gpt2")));
  Ok(w.AddMeta("tokenizer.ggml.tokens", GgufMetaValue::StringArray({"a", "b", "ab"})));
  Ok(w.AddMeta("tokenizer.ggml.token_type", GgufMetaValue::Int32Array({1, 1, 3})));
  Ok(w.AddMeta("tokenizer.ggml.merges", GgufMetaValue::StringArray({"a b"})));
  Ok(w.AddTensor(Tensor("token_embd.weight", GgmlType::kF32, 8, 3), Pattern(96, 1)));
  Ok(w.AddTensor(Tensor("output_norm.weight", GgmlType::kF32, 8, 1), Pattern(32, 2)));
  return w;
}

GgufWriter AllValueTypes() {
  GgufWriter w;
  Ok(w.AddMeta("u8", GgufMetaValue::U8(200)));
  Ok(w.AddMeta("i8", GgufMetaValue::I8(-5)));
  Ok(w.AddMeta("u16", GgufMetaValue::U16(60000)));
  Ok(w.AddMeta("i16", GgufMetaValue::I16(-300)));
  Ok(w.AddMeta("u32", GgufMetaValue::U32(4000000000u)));
  Ok(w.AddMeta("i32", GgufMetaValue::I32(-70000)));
  Ok(w.AddMeta("f32", GgufMetaValue::F32(1.5f)));
  Ok(w.AddMeta("bool", GgufMetaValue::Bool(true)));
  Ok(w.AddMeta("str", GgufMetaValue::String("text")));
  Ok(w.AddMeta("u64", GgufMetaValue::U64(1ull << 40)));
  Ok(w.AddMeta("i64", GgufMetaValue::I64(-(1ll << 40))));
  Ok(w.AddMeta("f64", GgufMetaValue::F64(-2.5)));
  Ok(w.AddMeta("arr.f32", GgufMetaValue::F32Array({1.0f, -1.0f})));
  Ok(w.AddMeta("arr.u8", GgufMetaValue::NumericArray(GgufType::kUint8, 3, "xyz")));
  Ok(w.AddMeta("arr.str", GgufMetaValue::StringArray({"", "q"})));
  return w;
}

GgufWriter QuantTensors() {
  GgufWriter w;
  Ok(w.AddMeta("general.architecture", GgufMetaValue::String("qwen2")));
  Ok(w.AddMeta("general.alignment", GgufMetaValue::U32(8)));
  Ok(w.AddTensor(Tensor("a", GgmlType::kQ8_0, 32, 2), Pattern(68, 3)));
  Ok(w.AddTensor(Tensor("b", GgmlType::kQ4_0, 32, 1), Pattern(18, 4)));
  Ok(w.AddTensor(Tensor("c", GgmlType::kF16, 5, 1), Pattern(10, 5)));
  Ok(w.AddTensor(Tensor("d", GgmlType::kBF16, 4, 2), Pattern(16, 6)));
  return w;
}

GgufWriter KQuant() {
  GgufWriter w;
  Ok(w.AddMeta("general.architecture", GgufMetaValue::String("qwen3")));
  Ok(w.AddTensor(Tensor("k", GgmlType::kQ4_K, 256, 1), Pattern(144, 7)));
  return w;
}

GgufWriter Nested() {
  GgufWriter w;
  Ok(w.AddMeta("nested", GgufMetaValue::ArrayOfArrays({GgufMetaValue::Int32Array({1, 2}),
                                                       GgufMetaValue::StringArray({"s"})})));
  Ok(w.AddTensor(Tensor("t", GgmlType::kI32, 2, 1), Pattern(8, 8)));
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  base::FileSystem* fs = base::DefaultFileSystem();
  Ok(fs->CreateDirs(dir));
  Ok(ModelLike().WriteTo(fs, dir + "/model_like.gguf"));
  Ok(AllValueTypes().WriteTo(fs, dir + "/all_value_types.gguf"));
  Ok(QuantTensors().WriteTo(fs, dir + "/quant_tensors.gguf"));
  Ok(KQuant().WriteTo(fs, dir + "/k_quant.gguf"));
  Ok(Nested().WriteTo(fs, dir + "/nested_array.gguf"));
  Ok(GgufWriter().WriteTo(fs, dir + "/empty.gguf"));
  // Version 2 has the same layout; only the version field differs.
  std::string v2 = ModelLike().Serialize();
  v2[4] = 2;
  Ok(fs->WriteFileAtomic(dir + "/version2.gguf", v2));
  return 0;
}
