// `longhaul model tiny`'s generator: deterministic, llama.cpp's layout, and
// clear errors for specs that cannot work.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "base/filesystem.h"
#include "engine/gguf/fingerprint.h"
#include "engine/gguf/gguf.h"
#include "engine/model_file.h"
#include "engine/quant/quant.h"
#include "engine/tiny/tiny_model.h"
#include "engine/tiny/tiny_vocab.h"
#include "tests/engine/gguf/gguf_test_util.h"
#include "tests/testing.h"

namespace {

using engine::GgufFile;
using engine::TinyModelSpec;

std::string Build(const TinyModelSpec& spec) {
  auto w = engine::tiny::BuildTinyModel(base::DefaultFileSystem(), spec);
  if (!w.ok()) FAIL(w.status().ToString());
  return w->Serialize();
}

// A small spec that still fits every type (rows of 256).
TinyModelSpec Small(const std::string& arch, const std::string& type) {
  TinyModelSpec s;
  s.arch = arch;
  s.weight_type = type;
  s.n_layer = 1;
  s.n_ff = 256;
  s.n_vocab = 300;
  return s;
}

std::string StatusOf(const TinyModelSpec& spec) {
  auto w = engine::tiny::BuildTinyModel(base::DefaultFileSystem(), spec);
  return w.ok() ? "OK" : w.status().ToString();
}

TEST_CASE("The same spec and seed give the same bytes, for every type", "[tiny]") {
  for (const char* type : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k"}) {
    INFO(type);
    TinyModelSpec spec = Small("qwen2", type);
    const std::string a = Build(spec);
    const std::string b = Build(spec);
    CHECK(a == b);
    spec.seed = 2;
    const std::string c = Build(spec);
    REQUIRE(c.size() == a.size());
    CHECK(c != a);

    auto parsed = gguf_test::ParseBytes(a);
    REQUIRE(parsed.ok());
    for (const engine::TensorInfo& t : (*parsed)->tensors()) {
      INFO(t.name);
      // "Pure": every matrix in the chosen type, norms and biases in f32.
      CHECK(std::string(engine::TraitsOf(t.type).name) ==
            (t.n_dims == 2 ? std::string(engine::TraitsOf(*engine::ParseGgmlType(type)).name) : "f32"));
    }
  }
}

TEST_CASE("Weights have the intended scale, in every type", "[tiny]") {
  const std::string f32_bytes = Build(Small("qwen2", "f32"));  // must outlive the parse
  auto f32 = gguf_test::ParseBytes(f32_bytes);
  REQUIRE(f32.ok());
  const engine::TensorInfo* emb = (*f32)->FindTensor("token_embd.weight");
  REQUIRE(emb != nullptr);
  std::vector<float> ref(static_cast<size_t>(emb->n_elements()));  // [n_vocab, n_embd]
  std::memcpy(ref.data(), emb->data, ref.size() * sizeof(float));
  double sum = 0, sum_sq = 0;
  for (float v : ref) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double mean = sum / static_cast<double>(ref.size());
  const double stddev = std::sqrt(sum_sq / static_cast<double>(ref.size()) - mean * mean);
  CHECK(std::abs(mean) < 0.002);
  CHECK(stddev == Approx(1.0 / 16.0).epsilon(0.02));  // 1/sqrt(n_embd)

  const engine::TensorInfo* norm = (*f32)->FindTensor("blk.0.attn_norm.weight");
  REQUIRE(norm != nullptr);
  for (int64_t i = 0; i < norm->n_elements(); ++i) CHECK(reinterpret_cast<const float*>(norm->data)[i] == 1.0f);
  const engine::TensorInfo* bias = (*f32)->FindTensor("blk.0.attn_q.bias");
  REQUIRE(bias != nullptr);
  float max_bias = 0;
  for (int64_t i = 0; i < bias->n_elements(); ++i) max_bias = std::max(max_bias, std::abs(reinterpret_cast<const float*>(bias->data)[i]));
  CHECK(max_bias > 0.01f);
  CHECK(max_bias < 0.08f);  // 0.02 * sqrt(12) bounds the Irwin-Hall draw

  // Each quantized file holds the same weights, up to the type's rounding.
  const std::pair<const char*, double> types[] = {{"f16", 1e-3}, {"bf16", 8e-3}, {"q8_0", 0.01}, {"q6_k", 0.02},
                                                  {"q5_k", 0.04}, {"q4_k", 0.08}, {"q4_0", 0.1}};
  for (const auto& [type, tolerance] : types) {
    INFO(type);
    const std::string q_bytes = Build(Small("qwen2", type));  // outlives the parse
    auto q = gguf_test::ParseBytes(q_bytes);
    REQUIRE(q.ok());
    const engine::TensorInfo* t = (*q)->FindTensor("token_embd.weight");
    REQUIRE(t != nullptr);
    std::vector<float> back(ref.size());
    engine::DequantizeRow(t->type, t->data, back.data(), t->n_elements());
    double err_sq = 0;
    for (size_t i = 0; i < ref.size(); ++i) err_sq += (back[i] - ref[i]) * static_cast<double>(back[i] - ref[i]);
    const double rel_rms = std::sqrt(err_sq / sum_sq);
    CHECK(rel_rms < tolerance);
    CHECK(rel_rms > 0);  // quantized, not copied
  }
}

TEST_CASE("Each arch has exactly llama.cpp's tensors and keys, as in the reference models", "[tiny][testdata]") {
  REQUIRE_TESTDATA(dir);
  struct Case {
    const char* reference;
    TinyModelSpec spec;
  };
  std::vector<Case> cases;
  {
    TinyModelSpec s;  // tiny-llama-bpe: 2 layers, 256, 8/4 heads, ff 512, rope 500000
    s.rope_freq_base = 500000;
    cases.push_back({"tiny-llama-bpe-f32", s});
    s.arch = "qwen2";
    s.rope_freq_base.reset();
    cases.push_back({"tiny-qwen2-f32", s});
    s.arch = "qwen3";
    s.head_dim = 64;
    cases.push_back({"tiny-qwen3-f32", s});
    TinyModelSpec q = cases[0].spec;  // the q8_0 file adds general.quantization_version
    q.weight_type = "q8_0";
    cases.push_back({"tiny-llama-bpe-q8_0", q});
  }
  for (Case& c : cases) {
    INFO(c.reference);
    auto ref = GgufFile::Open(base::DefaultFileSystem(), dir + "/models/" + c.reference + ".gguf");
    REQUIRE(ref.ok());
    c.spec.vocab_from = dir + "/models/" + c.reference + ".gguf";
    c.spec.name = (*ref)->GetStringOr("general.name", "");
    const std::string bytes = Build(c.spec);
    auto ours = gguf_test::ParseBytes(bytes);
    REQUIRE(ours.ok());

    // Same tensor names, shapes (and, for pure files, types).
    std::map<std::string, std::string> want, got;
    for (const engine::TensorInfo& t : (*ref)->tensors()) want[t.name] = t.ShapeString() + std::string(engine::TraitsOf(t.type).name);
    for (const engine::TensorInfo& t : (*ours)->tensors()) got[t.name] = t.ShapeString() + std::string(engine::TraitsOf(t.type).name);
    CHECK(got == want);

    // Same metadata: keys in the same order, same types, same values.
    // (llama-quantize orders keys its own way, so compare the sets there.)
    std::map<std::string, std::string> want_kv, got_kv;
    std::vector<std::string> want_order, got_order;
    auto describe = [](const engine::GgufValue& v) {
      std::string s = std::string(engine::GgufTypeName(v.type)) + ":";
      if (v.type == engine::GgufType::kString) return s + std::string(v.str);
      if (v.is_array()) return s + std::to_string(v.array_count);
      if (auto d = v.AsDouble()) return s + std::to_string(*d);
      return s;
    };
    for (const auto& [k, v] : (*ref)->metadata()) {
      want_kv[k] = describe(v);
      want_order.push_back(k);
    }
    for (const auto& [k, v] : (*ours)->metadata()) {
      got_kv[k] = describe(v);
      got_order.push_back(k);
    }
    CHECK(got_kv == want_kv);
    if (std::string(c.reference).ends_with("f32")) CHECK(got_order == want_order);
  }
}

TEST_CASE("Specs that cannot work are refused clearly", "[tiny]") {
  TinyModelSpec s = Small("llama", "q4_k");
  s.n_embd = 128;
  CHECK_THAT(StatusOf(s), Catch::Contains("Invalid argument") && Catch::Contains("q4_K packs rows in blocks of 256") &&
                              Catch::Contains("--embd = 128"));
  s = Small("llama", "q6_k");
  s.n_ff = 300;
  CHECK_THAT(StatusOf(s), Catch::Contains("--ff = 300 must be a multiple of 256"));
  s = Small("llama", "q8_0");
  s.n_ff = 48;
  CHECK_THAT(StatusOf(s), Catch::Contains("--ff = 48 must be a multiple of 32"));
  s = Small("llama", "f32");
  s.n_ff = 48;
  CHECK(StatusOf(s) == "OK");  // f32 takes any row length
  s = Small("gemma", "f32");
  CHECK_THAT(StatusOf(s), Catch::Contains("--arch must be llama, qwen2 or qwen3"));
  s = Small("llama", "q4_1");
  CHECK_THAT(StatusOf(s), Catch::Contains("--type must be one of"));
  s = Small("llama", "f32");
  s.n_head_kv = 3;
  CHECK_THAT(StatusOf(s), Catch::Contains("must be a multiple of --kv-heads"));
  s = Small("llama", "f32");
  s.n_layer = 0;
  CHECK_THAT(StatusOf(s), Catch::Contains("--layers must be"));
  s = Small("llama", "f32");
  s.n_vocab = 100;
  CHECK_THAT(StatusOf(s), Catch::Contains("vocabulary size 100 must be between 262"));
  s = Small("llama", "f32");
  s.vocab_from = "/nonexistent/vocab.gguf";
  CHECK_THAT(StatusOf(s), Catch::Contains("/nonexistent/vocab.gguf"));
}

TEST_CASE("Tied and untied outputs, and qwen3's head dim", "[tiny]") {
  const std::string llama_bytes = Build(Small("llama", "f32"));  // outlives the parse
  auto llama = gguf_test::ParseBytes(llama_bytes);
  REQUIRE(llama.ok());
  CHECK((*llama)->FindTensor("output.weight") != nullptr);
  CHECK((*llama)->FindTensor("blk.0.attn_q.bias") == nullptr);
  CHECK((*llama)->GetStringOr("tokenizer.ggml.pre", "") == "default");
  CHECK((*llama)->GetBoolOr("tokenizer.ggml.add_bos_token", false));

  TinyModelSpec q3 = Small("qwen3", "f32");
  q3.head_dim = 64;
  const std::string qwen3_bytes = Build(q3);  // outlives the parse
  auto qwen3 = gguf_test::ParseBytes(qwen3_bytes);
  REQUIRE(qwen3.ok());
  CHECK((*qwen3)->FindTensor("output.weight") == nullptr);
  CHECK((*qwen3)->FindTensor("blk.0.attn_q_norm.weight")->ShapeString() == "[64]");
  CHECK((*qwen3)->FindTensor("blk.0.attn_q.weight")->ShapeString() == "[256, 512]");
  CHECK((*qwen3)->FindTensor("blk.0.attn_output.weight")->ShapeString() == "[512, 256]");
  CHECK((*qwen3)->GetIntOr("qwen3.attention.key_length", 0) == 64);
  CHECK((*qwen3)->GetStringOr("tokenizer.ggml.pre", "") == "qwen2");
  CHECK((*qwen3)->GetFloatOr("qwen3.rope.freq_base", 0) == 1e6);

  q3.tie_embeddings = false;
  const std::string untied_bytes = Build(q3);  // outlives the parse
  auto untied = gguf_test::ParseBytes(untied_bytes);
  REQUIRE(untied.ok());
  CHECK((*untied)->FindTensor("output.weight") != nullptr);
}

TEST_CASE("The built-in vocabulary is byte-level BPE in GPT-2's byte order", "[tiny][vocab]") {
  auto vocab = engine::tiny::BuildTinyVocab(512);
  REQUIRE(vocab.ok());
  REQUIRE(vocab->tokens.size() == 512);
  REQUIRE(vocab->token_types.size() == 512);
  CHECK(vocab->tokens[0] == "!");
  CHECK(engine::tiny::ByteToUnicode(' ') == "\xc4\xa0");   // U+0120 'Ġ'
  CHECK(engine::tiny::ByteToUnicode('\n') == "\xc4\x8a");  // U+010A 'Ċ'
  CHECK(vocab->merges.size() >= 250);
  CHECK(vocab->bos_id == 506);
  CHECK(vocab->tokens[506] == "<|bos|>");
  CHECK(vocab->tokens[507] == "<|eos|>");
  CHECK(vocab->tokens[511] == "</tool_call>");
  CHECK(vocab->token_types[508] == 3);  // <|im_start|> control
  CHECK(vocab->token_types[510] == 4);  // <tool_call> user-defined

  // Every merge joins two existing tokens into an existing token.
  std::set<std::string> texts(vocab->tokens.begin(), vocab->tokens.end());
  CHECK(texts.size() == vocab->tokens.size());
  for (const std::string& m : vocab->merges) {
    const size_t space = m.find(' ');
    REQUIRE(space != std::string::npos);
    CHECK(texts.count(m.substr(0, space)));
    CHECK(texts.count(m.substr(space + 1)));
    CHECK(texts.count(m.substr(0, space) + m.substr(space + 1)));
  }
  CHECK(texts.count("\xc4\xa0the"));  // " the" is learned

  // Same size, same vocabulary; more ids than merges pad with unused tokens.
  CHECK(engine::tiny::BuildTinyVocab(512)->merges == vocab->merges);
  auto big = engine::tiny::BuildTinyVocab(20000);
  REQUIRE(big.ok());
  CHECK(big->tokens.size() == 20000);
  CHECK(big->token_types.back() == 5);
  CHECK(big->tokens.back() == "[PAD19999]");
}

TEST_CASE("The byte tokens match the reference tiny BPE vocabulary", "[tiny][vocab][testdata]") {
  REQUIRE_TESTDATA(dir);
  auto ref = GgufFile::Open(base::DefaultFileSystem(), dir + "/tokenizer/ggml-vocab-tiny-bpe512-qwen2.gguf");
  REQUIRE(ref.ok());
  const engine::GgufValue* tokens = (*ref)->Find("tokenizer.ggml.tokens");
  REQUIRE(tokens != nullptr);
  auto vocab = engine::tiny::BuildTinyVocab(512);
  REQUIRE(vocab.ok());
  for (size_t i = 0; i < 256; ++i) {
    INFO("token " << i);
    CHECK(vocab->tokens[i] == tokens->strings[i]);
  }
}

TEST_CASE("DescribeModelFile reads the hyperparameters, tokenizer and tensors", "[tiny][describe][testdata]") {
  REQUIRE_TESTDATA(dir);
  const std::string path = dir + "/models/tiny-qwen3-q4_k_m.gguf";
  auto info = engine::DescribeModelFile(path);
  REQUIRE(info.ok());
  CHECK(info->architecture == "qwen3");
  CHECK(info->file_type == "MOSTLY_Q4_K_M");
  CHECK(*info->n_layer == 2);
  CHECK(*info->n_embd == 256);
  CHECK(*info->n_head == 8);
  CHECK(*info->n_head_kv == 4);
  CHECK(*info->head_dim == 64);
  CHECK(*info->n_ff == 512);
  CHECK(*info->context_length == 4096);
  CHECK(*info->rope_freq_base == 1e6);
  CHECK(*info->rms_norm_eps == Approx(1e-6));
  CHECK_FALSE(info->rope_scaling_type.has_value());
  CHECK(info->vocab_size == 512);
  CHECK(info->tokenizer_model == "gpt2");
  CHECK(info->tokenizer_pre == "qwen2");
  CHECK(info->n_merges == 253);
  CHECK(*info->eos_id == 511);
  CHECK(info->tensors.size() == 24);
  CHECK(info->file_size == 1062400);
  CHECK(info->n_params == 1705472);  // manifest.json hparams.n_params
  auto f = GgufFile::Open(base::DefaultFileSystem(), path);
  REQUIRE(f.ok());
  CHECK(info->fingerprint == *engine::ModelFingerprintHex(**f));

  auto stories = engine::DescribeModelFile(dir + "/models/stories260K.gguf");
  REQUIRE(stories.ok());
  CHECK_FALSE(stories->rope_freq_base.has_value());  // absent: llama.cpp's default applies
  CHECK(stories->tokenizer_pre.empty());
  CHECK(stories->file_type.empty());
  CHECK(*stories->head_dim == 8);
}

TEST_CASE("WriteTinyModel writes the same bytes as the builder, atomically", "[tiny]") {
  auto mem = base::NewMemFileSystem();
  REQUIRE(mem->CreateDirs("/t").ok());
  const TinyModelSpec spec = Small("llama", "q8_0");
  REQUIRE(engine::WriteTinyModel(mem.get(), spec, "/t/m.gguf").ok());
  base::MemFileSystemCrash(mem.get());  // durable once written
  CHECK(*mem->ReadFile("/t/m.gguf") == Build(spec));
  TinyModelSpec bad = spec;
  bad.n_embd = 100;
  CHECK(engine::WriteTinyModel(mem.get(), bad, "/t/bad.gguf").code() == base::StatusCode::kInvalidArgument);
  CHECK_FALSE(*mem->Exists("/t/bad.gguf"));
}

}  // namespace
