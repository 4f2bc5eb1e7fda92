// GgufWriter: every value type, every tensor type, alignment, validation,
// atomic writes, and byte-identical rewrites of the reference models.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>

#include "base/fault_filesystem.h"
#include "base/filesystem.h"
#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/quant/types.h"
#include "tests/engine/gguf/gguf_test_util.h"
#include "tests/testing.h"

namespace {

using engine::GgmlType;
using engine::GgufFile;
using engine::GgufMetaValue;
using engine::GgufType;
using engine::GgufWriter;
using gguf_test::ParseBytes;

template <typename T>
GgufMetaValue Packed(GgufType type, std::vector<T> v) {
  std::string bytes(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return GgufMetaValue::NumericArray(type, v.size(), std::move(bytes));
}

TEST_CASE("Every metadata value type survives a write and a read", "[gguf][writer]") {
  GgufWriter w;
  REQUIRE(w.AddMeta("u8", GgufMetaValue::U8(255)).ok());
  REQUIRE(w.AddMeta("i8", GgufMetaValue::I8(-128)).ok());
  REQUIRE(w.AddMeta("u16", GgufMetaValue::U16(65535)).ok());
  REQUIRE(w.AddMeta("i16", GgufMetaValue::I16(-32768)).ok());
  REQUIRE(w.AddMeta("u32", GgufMetaValue::U32(0xFFFFFFFFu)).ok());
  REQUIRE(w.AddMeta("i32", GgufMetaValue::I32(std::numeric_limits<int32_t>::min())).ok());
  REQUIRE(w.AddMeta("u64", GgufMetaValue::U64(~uint64_t{0})).ok());
  REQUIRE(w.AddMeta("i64", GgufMetaValue::I64(std::numeric_limits<int64_t>::min())).ok());
  REQUIRE(w.AddMeta("f32", GgufMetaValue::F32(-0.0f)).ok());
  REQUIRE(w.AddMeta("f64", GgufMetaValue::F64(1e300)).ok());
  REQUIRE(w.AddMeta("bool0", GgufMetaValue::Bool(false)).ok());
  REQUIRE(w.AddMeta("bool1", GgufMetaValue::Bool(true)).ok());
  REQUIRE(w.AddMeta("str", GgufMetaValue::String(std::string("a\0b\xc3\xab", 5))).ok());
  REQUIRE(w.AddMeta("empty", GgufMetaValue::String("")).ok());
  REQUIRE(w.AddMeta("a.u8", Packed<uint8_t>(GgufType::kUint8, {0, 7, 255})).ok());
  REQUIRE(w.AddMeta("a.i8", Packed<int8_t>(GgufType::kInt8, {-1, 5})).ok());
  REQUIRE(w.AddMeta("a.u16", Packed<uint16_t>(GgufType::kUint16, {1, 65535})).ok());
  REQUIRE(w.AddMeta("a.i16", Packed<int16_t>(GgufType::kInt16, {-2, 3})).ok());
  REQUIRE(w.AddMeta("a.u32", Packed<uint32_t>(GgufType::kUint32, {4000000000u})).ok());
  REQUIRE(w.AddMeta("a.i32", GgufMetaValue::Int32Array({-7, 0, 7})).ok());
  REQUIRE(w.AddMeta("a.f32", GgufMetaValue::F32Array({0.5f, -2.25f})).ok());
  REQUIRE(w.AddMeta("a.bool", Packed<uint8_t>(GgufType::kBool, {1, 0, 1})).ok());
  REQUIRE(w.AddMeta("a.u64", Packed<uint64_t>(GgufType::kUint64, {~uint64_t{0}})).ok());
  REQUIRE(w.AddMeta("a.i64", Packed<int64_t>(GgufType::kInt64, {-9})).ok());
  REQUIRE(w.AddMeta("a.f64", Packed<double>(GgufType::kFloat64, {3.5, -1e-300})).ok());
  REQUIRE(w.AddMeta("a.str", GgufMetaValue::StringArray({"x", "", "Ġthe"})).ok());
  REQUIRE(w.AddMeta("a.none", GgufMetaValue::Int32Array({})).ok());
  REQUIRE(w.AddMeta("a.nested", GgufMetaValue::ArrayOfArrays({GgufMetaValue::Int32Array({1, 2}),
                                                              GgufMetaValue::StringArray({"q"})}))
              .ok());

  const std::string bytes = w.Serialize();
  CHECK(bytes.size() == w.FileSize());
  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());
  const GgufFile& f = **parsed;
  CHECK(f.version() == 3);
  REQUIRE(f.metadata().size() == w.meta_count());
  CHECK(f.metadata()[0].first == "u8");  // file order is insertion order
  CHECK(f.Find("u8")->u == 255);
  CHECK(f.Find("i8")->i == -128);
  CHECK(f.Find("u16")->u == 65535);
  CHECK(f.Find("i16")->i == -32768);
  CHECK(f.Find("u32")->u == 0xFFFFFFFFu);
  CHECK(f.Find("i32")->i == std::numeric_limits<int32_t>::min());
  CHECK(f.Find("u64")->u == ~uint64_t{0});
  CHECK(f.Find("i64")->i == std::numeric_limits<int64_t>::min());
  CHECK(std::signbit(f.Find("f32")->f));
  CHECK(f.Find("f32")->type == GgufType::kFloat32);
  CHECK(f.Find("f64")->f == 1e300);
  CHECK(f.GetBoolOr("bool0", true) == false);
  CHECK(f.GetBoolOr("bool1", false) == true);
  CHECK(f.Find("str")->str == std::string_view("a\0b\xc3\xab", 5));
  CHECK(f.Find("empty")->str.empty());
  CHECK(f.Find("a.u8")->ArrayInt(2) == 255);
  CHECK(f.Find("a.i8")->ArrayInt(0) == -1);
  CHECK(f.Find("a.u16")->ArrayInt(1) == 65535);
  CHECK(f.Find("a.i16")->ArrayInt(0) == -2);
  CHECK(f.Find("a.u32")->ArrayInt(0) == 4000000000);
  CHECK(f.Find("a.i32")->ArrayInt(0) == -7);
  CHECK(f.Find("a.f32")->ArrayNumber(1) == -2.25);
  CHECK(f.Find("a.bool")->ArrayInt(1) == 0);
  CHECK(f.Find("a.u64")->ArrayNumber(0) == static_cast<double>(~uint64_t{0}));
  CHECK(f.Find("a.i64")->ArrayInt(0) == -9);
  CHECK(f.Find("a.f64")->ArrayNumber(1) == -1e-300);
  REQUIRE(f.Find("a.str")->strings.size() == 3);
  CHECK(f.Find("a.str")->strings[2] == "Ġthe");
  CHECK(f.Find("a.str")->strings[1].empty());
  CHECK(f.Find("a.none")->array_count == 0);
  CHECK(f.Find("a.nested")->array_type == GgufType::kArray);
  CHECK(f.Find("a.nested")->array_count == 2);

  // Copying back gives the same bytes, except that the reader does not keep
  // nested arrays, which CopyGguf reports instead of dropping silently.
  auto copy = engine::CopyGguf(f);
  REQUIRE_FALSE(copy.ok());
  CHECK_THAT(copy.status().message(), Catch::Contains("a.nested") && Catch::Contains("nested"));
}

TEST_CASE("Copying a parsed file reproduces its bytes", "[gguf][writer]") {
  const std::string bytes = gguf_test::SmallFile();
  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());
  auto copy = engine::CopyGguf(**parsed);
  REQUIRE(copy.ok());
  CHECK(copy->Serialize() == bytes);
}

TEST_CASE("Tensors of every ggml type are laid out and read back", "[gguf][writer]") {
  GgufWriter w;
  std::vector<std::pair<std::string, std::string>> expected;
  for (uint32_t id = 0; id < 64; ++id) {
    std::optional<engine::GgmlTypeTraits> traits = engine::LookupGgmlType(id);
    if (!traits) continue;
    engine::GgufTensorToWrite t;
    t.name = "t." + std::string(traits->name);
    t.type = traits->type;
    t.n_dims = 3;
    t.ne[0] = traits->block_size * 2;
    t.ne[1] = 3;
    t.ne[2] = 1;
    std::string data(static_cast<size_t>(traits->type_size * 2 * 3), '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(id * 31 + i);
    REQUIRE(w.AddTensor(t, data).ok());
    expected.emplace_back(t.name, std::move(data));
  }
  REQUIRE(expected.size() == 20);
  const std::string bytes = w.Serialize();
  auto parsed = ParseBytes(bytes);
  REQUIRE(parsed.ok());
  REQUIRE((*parsed)->tensors().size() == expected.size());
  for (const auto& [name, data] : expected) {
    const engine::TensorInfo* t = (*parsed)->FindTensor(name);
    REQUIRE(t != nullptr);
    CHECK(t->n_dims == 3);
    CHECK(t->ne[1] == 3);
    CHECK(t->offset % 32 == 0);
    REQUIRE(t->n_bytes == data.size());
    CHECK(std::memcmp(t->data, data.data(), data.size()) == 0);
  }
}

TEST_CASE("general.alignment sets the padding of the data section and every tensor", "[gguf][writer]") {
  for (uint32_t alignment : {1u, 8u, 64u, 4096u}) {
    GgufWriter w;
    REQUIRE(w.AddMeta("general.alignment", GgufMetaValue::U32(alignment)).ok());
    CHECK(w.alignment() == alignment);
    engine::GgufTensorToWrite t;
    for (int i = 0; i < 3; ++i) {
      t.name = "t" + std::to_string(i);
      t.ne[0] = 3 + i;  // odd sizes force padding
      REQUIRE(w.AddTensor(t, std::string(static_cast<size_t>(4 * (3 + i)), static_cast<char>(i + 1))).ok());
    }
    const std::string bytes = w.Serialize();
    CHECK(bytes.size() % alignment == 0);
    auto parsed = ParseBytes(bytes);
    REQUIRE(parsed.ok());
    CHECK((*parsed)->alignment() == alignment);
    CHECK((*parsed)->data_offset() % alignment == 0);
    for (const engine::TensorInfo& info : (*parsed)->tensors()) {
      CHECK(info.offset % alignment == 0);
      CHECK(info.data[0] == static_cast<uint8_t>(info.name[1] - '0' + 1));
    }
  }
  GgufWriter w;
  CHECK_FALSE(w.AddMeta("general.alignment", GgufMetaValue::U32(48)).ok());
  CHECK_FALSE(w.AddMeta("general.alignment", GgufMetaValue::U32(0)).ok());
  CHECK_FALSE(w.AddMeta("general.alignment", GgufMetaValue::U64(64)).ok());
  CHECK(w.meta_count() == 0);
}

TEST_CASE("The writer rejects what would make a bad file", "[gguf][writer]") {
  GgufWriter w;
  REQUIRE(w.AddMeta("k", GgufMetaValue::U8(1)).ok());
  CHECK_THAT(w.AddMeta("k", GgufMetaValue::U8(2)).message(), Catch::Contains("'k' added twice"));
  CHECK_FALSE(w.AddMeta("", GgufMetaValue::U8(2)).ok());
  CHECK_THAT(w.AddMeta("p", GgufMetaValue::NumericArray(GgufType::kUint32, 3, std::string(8, '\0'))).message(),
             Catch::Contains("8 bytes for 3 elements"));
  GgufMetaValue bad_type = GgufMetaValue::U8(0);
  bad_type.type = static_cast<GgufType>(13);
  CHECK_FALSE(w.AddMeta("t", bad_type).ok());
  GgufMetaValue deep = GgufMetaValue::ArrayOfArrays({GgufMetaValue::ArrayOfArrays({})});
  CHECK_THAT(w.AddMeta("deep", deep).message(), Catch::Contains("nested more than one level"));

  engine::GgufTensorToWrite t;
  t.name = "a";
  t.ne[0] = 4;
  REQUIRE(w.AddTensor(t, std::string(16, '\0')).ok());
  CHECK_THAT(w.AddTensor(t, std::string(16, '\0')).message(), Catch::Contains("added twice"));
  t.name = "b";
  CHECK_THAT(w.AddTensor(t, std::string(15, '\0')).message(), Catch::Contains("15 data bytes given") &&
                                                                     Catch::Contains("needs 16"));
  t.type = GgmlType::kQ4_K;
  t.ne[0] = 128;
  CHECK_THAT(w.AddTensor(t, std::string(72, '\0')).message(), Catch::Contains("not a multiple of the q4_K block size 256"));
  t.type = GgmlType::kF32;
  t.n_dims = 5;
  CHECK_FALSE(w.AddTensor(t, std::string(512, '\0')).ok());
  t.n_dims = 1;
  t.ne[1] = 2;  // beyond n_dims must be 1
  CHECK_FALSE(w.AddTensor(t, std::string(1024, '\0')).ok());
  t.ne[1] = 1;
  t.name = "";
  CHECK_FALSE(w.AddTensor(t, std::string(512, '\0')).ok());
  CHECK(w.tensor_count() == 1);
}

TEST_CASE("Rewriting every reference GGUF gives the same bytes", "[gguf][writer][testdata]") {
  REQUIRE_TESTDATA(dir);
  int n_files = 0;
  for (const char* sub : {"models", "tokenizer"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/" + sub)) {
      const std::string path = entry.path().string();
      if (entry.path().extension() != ".gguf") continue;
      INFO(path);
      auto file = GgufFile::Open(base::DefaultFileSystem(), path);
      REQUIRE(file.ok());
      auto copy = engine::CopyGguf(**file);
      REQUIRE(copy.ok());
      CHECK(copy->FileSize() == (*file)->file_size());
      const std::string bytes = copy->Serialize();
      REQUIRE(bytes.size() == copy->FileSize());
      if (bytes.size() == (*file)->file_size()) CHECK(std::memcmp(bytes.data(), (*file)->file_data(), bytes.size()) == 0);
      ++n_files;
    }
  }
  CHECK(n_files == 35);  // 20 models + 15 vocabularies

  // The file path (temp + fsync + rename) writes the same bytes.
  const std::string src = dir + "/models/tiny-qwen2-q4_k_m.gguf";
  auto file = GgufFile::Open(base::DefaultFileSystem(), src);
  REQUIRE(file.ok());
  auto copy = engine::CopyGguf(**file);
  REQUIRE(copy.ok());
  const std::string out = testing::MakeTempDir("gguf_writer") + "/copy.gguf";
  REQUIRE(copy->WriteTo(base::DefaultFileSystem(), out).ok());
  auto written = base::DefaultFileSystem()->ReadFile(out);
  REQUIRE(written.ok());
  CHECK(*written == *base::DefaultFileSystem()->ReadFile(src));
  CHECK_FALSE(*base::DefaultFileSystem()->Exists(out + ".tmp"));
}

TEST_CASE("A failed or interrupted write never leaves a partial model", "[gguf][writer][fs]") {
  const GgufWriter w = gguf_test::SmallWriter();
  const std::string fresh = w.Serialize();
  auto mem = base::NewMemFileSystem();
  REQUIRE(mem->CreateDirs("/m").ok());
  REQUIRE(mem->WriteFileAtomic("/m/model.gguf", "old model").ok());

  // Every write, the sync and the rename fail in turn; a torn write lands
  // part of its bytes first.
  const int64_t n_writes = 1 + 3 + 2;  // header, three tensors, two paddings (see below)
  std::vector<base::FaultPlan> plans;
  for (int64_t k = 1; k <= n_writes; ++k) plans.push_back({.fail_write_at = k, .torn_write_bytes = 5});
  plans.push_back({.fail_sync_at = 1});
  plans.push_back({.fail_rename_at = 1});
  plans.push_back({.disk_capacity_bytes = static_cast<int64_t>(fresh.size()) - 1});
  for (const base::FaultPlan& plan : plans) {
    base::FaultInjectingFileSystem faulty(mem.get(), plan);
    base::Status s = w.WriteTo(&faulty, "/m/model.gguf");
    INFO("write " << plan.fail_write_at << " sync " << plan.fail_sync_at << " rename " << plan.fail_rename_at);
    CHECK_FALSE(s.ok());
    CHECK(*mem->ReadFile("/m/model.gguf") == "old model");
    CHECK_FALSE(*mem->Exists("/m/model.gguf.tmp"));
  }

  // A successful write is durable: it survives a crash right after.
  base::FaultInjectingFileSystem counting(mem.get(), {});
  REQUIRE(w.WriteTo(&counting, "/m/model.gguf").ok());
  CHECK(counting.counters().writes == n_writes);  // the plan above covered every write
  base::MemFileSystemCrash(mem.get());
  CHECK(*mem->ReadFile("/m/model.gguf") == fresh);
}

}  // namespace
