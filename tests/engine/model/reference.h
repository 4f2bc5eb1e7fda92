// Readers for the llama.cpp reference files in shared/testdata/refs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace testing {

struct ModelReference {
  std::string name;        // "tiny-llama-spm-q8_0"
  std::string model_path;  // .../models/<name>.gguf
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> gen_ids;       // kvf32_nofa greedy continuation
  std::vector<float> prompt_logits;   // [n_prompt][n_vocab]
  std::vector<float> gen_logits;      // [n_gen][n_vocab], teacher-forced
  std::string weight_type;            // "f32", "q4_k_m", ...
};

// Names of every model in testdata/models (without .gguf), sorted.
std::vector<std::string> ReferenceModelNames(const std::string& testdata);
ModelReference LoadReference(const std::string& testdata, const std::string& name);

struct LogitDiff {
  double max_abs = 0;
  double rms = 0;
  int top1_agree = 0;
  int rows = 0;
};
LogitDiff CompareLogits(const float* ours, const float* ref, int rows, int n_vocab);

// Acceptance limits from testdata/README.md section 7.
struct Tolerance {
  double max_abs;
  double rms;
};
Tolerance ToleranceFor(const std::string& weight_type);

}  // namespace testing
