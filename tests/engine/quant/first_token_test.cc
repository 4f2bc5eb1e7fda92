// The logits of the first prompt token through MatMul, against llama.cpp's
// (refs/<model>/kvf32_nofa.logits.f32 row 0). At position 0 attention is
// the identity on v (one key), so the forward pass is only matmuls, norms
// and SwiGLU: this pins MatMul's numerics, activation rounding included,
// to llama.cpp's on real files.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/quant/matmul.h"
#include "tests/engine/quant/quant_test_util.h"
#include "tests/testing.h"

namespace {

using engine::GgmlType;
using engine::TensorInfo;

struct Model {
  std::unique_ptr<engine::GgufFile> file;
  int64_t n_embd = 0, n_layer = 0, n_head = 0, n_kv = 0, head_dim = 0;
  float eps = 0;
};

// ggml's rms_norm: sum of squares in double, scale in float; then * weight.
void RmsNormMul(const std::vector<float>& x, const float* w, float eps, std::vector<float>* out) {
  double sum = 0;
  for (float v : x) sum += double(v * v);
  const float scale = 1.0f / std::sqrt(float(sum / double(x.size()) + eps));
  out->resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) (*out)[i] = (x[i] * scale) * w[i];
}

// When `dequantize_weights`, every matrix is first expanded to F32, so the
// activations are never rounded: llama.cpp's numerics minus ggml's rule.
struct Runner {
  const Model& m;
  bool dequantize_weights;
  engine::MatmulScratch scratch;
  std::vector<std::vector<float>> keep;

  std::vector<float> Mul(const std::string& name, const std::vector<float>& x) {
    const TensorInfo* t = m.file->FindTensor(name);
    REQUIRE(t != nullptr);
    engine::WeightView w{t->type, t->data, t->ne[1], t->ne[0]};
    if (dequantize_weights && t->type != GgmlType::kF32) {
      keep.push_back(quant_test::DequantizeAll(t->type, t->data, t->ne[1], t->ne[0]));
      w = {GgmlType::kF32, reinterpret_cast<const uint8_t*>(keep.back().data()), t->ne[1], t->ne[0]};
    }
    REQUIRE(w.cols == int64_t(x.size()));
    std::vector<float> y(static_cast<size_t>(w.rows));
    engine::MatMul(w, x.data(), 1, y.data(), nullptr, &scratch);
    return y;
  }
  const float* F32(const std::string& name) {
    const TensorInfo* t = m.file->FindTensor(name);
    REQUIRE(t != nullptr);
    REQUIRE(t->type == GgmlType::kF32);
    return reinterpret_cast<const float*>(t->data);
  }

  std::vector<float> Logits(int32_t token) {
    const TensorInfo* emb = m.file->FindTensor("token_embd.weight");
    REQUIRE(emb != nullptr);
    std::vector<float> x(static_cast<size_t>(m.n_embd)), h, tmp;
    engine::DequantizeRow(emb->type, emb->data + token * engine::RowBytes(emb->type, m.n_embd), x.data(), m.n_embd);
    for (int64_t l = 0; l < m.n_layer; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      RmsNormMul(x, F32(p + "attn_norm.weight"), m.eps, &h);
      std::vector<float> v = Mul(p + "attn_v.weight", h);
      if (const TensorInfo* bias = m.file->FindTensor(p + "attn_v.bias")) {
        for (size_t i = 0; i < v.size(); ++i) v[i] += reinterpret_cast<const float*>(bias->data)[i];
      }
      std::vector<float> o(static_cast<size_t>(m.n_head * m.head_dim));
      for (int64_t hd = 0; hd < m.n_head; ++hd) {
        const int64_t kv = hd / (m.n_head / m.n_kv);
        for (int64_t i = 0; i < m.head_dim; ++i) o[hd * m.head_dim + i] = v[kv * m.head_dim + i];
      }
      const std::vector<float> attn = Mul(p + "attn_output.weight", o);
      for (size_t i = 0; i < x.size(); ++i) x[i] += attn[i];
      RmsNormMul(x, F32(p + "ffn_norm.weight"), m.eps, &h);
      const std::vector<float> g = Mul(p + "ffn_gate.weight", h), u = Mul(p + "ffn_up.weight", h);
      std::vector<float> s(g.size());
      for (size_t i = 0; i < g.size(); ++i) s[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
      const std::vector<float> down = Mul(p + "ffn_down.weight", s);
      for (size_t i = 0; i < x.size(); ++i) x[i] += down[i];
    }
    RmsNormMul(x, F32("output_norm.weight"), m.eps, &h);
    return Mul(m.file->FindTensor("output.weight") ? "output.weight" : "token_embd.weight", h);
  }
};

Model Load(const std::string& testdata, const std::string& name) {
  Model m;
  m.file = quant_test::OpenModel(testdata, name);
  REQUIRE(m.file != nullptr);
  const std::string arch = m.file->GetStringOr("general.architecture", "");
  m.n_embd = m.file->GetIntOr(arch + ".embedding_length", 0);
  m.n_layer = m.file->GetIntOr(arch + ".block_count", 0);
  m.n_head = m.file->GetIntOr(arch + ".attention.head_count", 0);
  m.n_kv = m.file->GetIntOr(arch + ".attention.head_count_kv", m.n_head);
  m.head_dim = m.file->GetIntOr(arch + ".attention.value_length", m.n_embd / std::max<int64_t>(1, m.n_head));
  m.eps = static_cast<float>(m.file->GetFloatOr(arch + ".attention.layer_norm_rms_epsilon", 1e-5));
  REQUIRE(m.n_embd > 0);
  REQUIRE(m.n_layer > 0);
  return m;
}

double MaxAbsDiff(const std::vector<float>& a, const float* b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

struct FirstTokenResult {
  double ggml_rule;  // our MatMul (activations rounded like ggml)
  double f32_act;    // same weights, activations not rounded
};

FirstTokenResult RunFirstToken(const std::string& testdata, const std::string& name) {
  const Model m = Load(testdata, name);
  auto ids = base::DefaultFileSystem()->ReadFile(testdata + "/refs/" + name + "/prompt_ids.txt");
  REQUIRE(ids.ok());
  const int32_t first = std::stoi(*ids);
  const std::vector<float> ref = quant_test::ReadF32File(testdata + "/refs/" + name + "/kvf32_nofa.logits.f32");
  REQUIRE(ref.size() >= 512);
  Runner ours{m, false, {}, {}};
  Runner plain{m, true, {}, {}};
  const std::vector<float> a = ours.Logits(first), b = plain.Logits(first);
  REQUIRE(a.size() == 512);
  return {MaxAbsDiff(a, ref.data()), MaxAbsDiff(b, ref.data())};
}

}  // namespace

TEST_CASE("Q8_0 activations follow ggml's rule: first-token logits match llama.cpp", "[quant][testdata]") {
  REQUIRE_TESTDATA(testdata);
  const FirstTokenResult r = RunFirstToken(testdata, "tiny-llama-spm-q8_0");
  CAPTURE(r.ggml_rule, r.f32_act);
  // README 7: with ggml's rounding simulated the match is ~6e-7; without it
  // the logits move by up to ~0.1. Our f32 accumulation order adds ~1e-6.
  CHECK(r.ggml_rule < 2e-5);
  CHECK(r.f32_act > 50 * r.ggml_rule);
}

TEST_CASE("First-token logits match llama.cpp for every weight type", "[quant][testdata]") {
  REQUIRE_TESTDATA(testdata);
  // Measured at position 0 on every kernel level: F32 <= 2e-6; F16 and
  // BF16 <= 7e-4 (fp16/bf16 activation rounding flips with the f32
  // summation order, README 7's floor); quantized types <= 1.2e-6 (a flip
  // of an 8-bit rounding would cost ~1e-3 or more).
  const std::pair<const char*, double> models[] = {
      {"tiny-llama-spm-f32", 1e-5},   {"tiny-llama-spm-f16", 3e-3},   {"tiny-llama-spm-bf16", 1e-2},
      {"tiny-llama-spm-q8_0", 1e-4},  {"tiny-llama-spm-q4_0", 1e-4},  {"tiny-llama-spm-q4_k", 1e-4},
      {"tiny-llama-spm-q5_k", 1e-4},  {"tiny-llama-spm-q6_k", 1e-4},  {"tiny-llama-spm-q4_k_m", 1e-4},
      {"tiny-llama-spm-q5_k_m", 1e-4}, {"tiny-llama-bpe-q4_k_m", 1e-4}, {"tiny-qwen2-q8_0", 1e-4},
  };
  for (const auto& [name, tol] : models) {
    const FirstTokenResult r = RunFirstToken(testdata, name);
    INFO(name << ": ggml rule " << r.ggml_rule << ", f32 activations " << r.f32_act);
    CHECK(r.ggml_rule < tol);
  }
}
