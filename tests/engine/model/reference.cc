#include "tests/engine/model/reference.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace testing {
namespace {

std::vector<int32_t> ReadIds(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<int32_t> ids;
  int32_t id;
  while (in >> id) ids.push_back(id);
  return ids;
}

std::vector<float> ReadF32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

}  // namespace

std::vector<std::string> ReferenceModelNames(const std::string& testdata) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(testdata + "/models")) {
    if (entry.path().extension() == ".gguf") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelReference LoadReference(const std::string& testdata, const std::string& name) {
  ModelReference r;
  r.name = name;
  r.model_path = testdata + "/models/" + name + ".gguf";
  const std::string dir = testdata + "/refs/" + name + "/";
  r.prompt_ids = ReadIds(dir + "prompt_ids.txt");
  r.gen_ids = ReadIds(dir + "kvf32_nofa.gen_ids.txt");
  r.prompt_logits = ReadF32(dir + "kvf32_nofa.logits.f32");
  r.gen_logits = ReadF32(dir + "kvf32_nofa.gen_logits.f32");
  r.weight_type = name == "stories260K" ? "f32" : name.substr(name.rfind('-') + 1);
  if (name.size() > 6 && (name.ends_with("q4_k_m") || name.ends_with("q5_k_m"))) {
    r.weight_type = name.substr(name.size() - 6);
  }
  return r;
}

LogitDiff CompareLogits(const float* ours, const float* ref, int rows, int n_vocab) {
  LogitDiff d;
  d.rows = rows;
  double sq = 0;
  for (int r = 0; r < rows; ++r) {
    const float* a = ours + static_cast<size_t>(r) * n_vocab;
    const float* b = ref + static_cast<size_t>(r) * n_vocab;
    for (int v = 0; v < n_vocab; ++v) {
      const double diff = std::fabs(static_cast<double>(a[v]) - b[v]);
      d.max_abs = std::max(d.max_abs, diff);
      sq += diff * diff;
    }
    if (std::max_element(a, a + n_vocab) - a == std::max_element(b, b + n_vocab) - b) ++d.top1_agree;
  }
  d.rms = std::sqrt(sq / (static_cast<double>(rows) * n_vocab));
  return d;
}

Tolerance ToleranceFor(const std::string& weight_type) {
  if (weight_type == "f32") return {1e-4, 1e-5};
  if (weight_type == "f16") return {1e-2, 2e-3};
  if (weight_type == "bf16") return {5e-2, 1e-2};
  return {0.25, 0.04};
}

}  // namespace testing
