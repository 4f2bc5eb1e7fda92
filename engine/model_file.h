// engine/: model files as a whole, for the CLI and other modules.
//
// DescribeModelFile reads a GGUF model's identity, hyperparameters,
// tokenizer and tensor table, and computes its fingerprint (DESIGN.md
// section 3.1). WriteTinyModel makes a small model with deterministic
// random weights, laid out exactly as llama.cpp expects, for tests.
//
// Threading: both functions are pure apart from their file I/O; call them
// from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/filesystem.h"
#include "base/status.h"

namespace engine {

struct ModelTensorSummary {
  std::string name;
  std::string type;            // ggml's spelling: "f32", "q4_K"
  std::vector<int64_t> shape;  // ne[0] first (the row length)
  uint64_t n_bytes = 0;
  uint64_t offset = 0;         // from the start of the data section
};

struct ModelFileInfo {
  std::string path;
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  uint32_t alignment = 0;
  uint64_t n_metadata = 0;

  std::string architecture;  // general.architecture
  std::string name;          // general.name; empty when absent
  std::string file_type;     // general.file_type as llama.cpp names it ("MOSTLY_Q8_0"); empty when absent

  // Hyperparameters from `<arch>.*`; empty when the key is absent.
  std::optional<int64_t> n_layer;         // block_count
  std::optional<int64_t> n_embd;          // embedding_length
  std::optional<int64_t> n_head;          // attention.head_count
  std::optional<int64_t> n_head_kv;       // attention.head_count_kv
  std::optional<int64_t> n_ff;            // feed_forward_length
  std::optional<int64_t> context_length;  // context_length (trained)
  std::optional<int64_t> head_dim;        // attention.key_length, else n_embd / n_head
  std::optional<int64_t> n_rot;           // rope.dimension_count
  std::optional<double> rope_freq_base;   // rope.freq_base (llama.cpp assumes 10000 when absent)
  std::optional<std::string> rope_scaling_type;        // rope.scaling.type
  std::optional<double> rope_scaling_factor;           // rope.scaling.factor
  std::optional<int64_t> rope_scaling_original_context;  // rope.scaling.original_context_length
  std::optional<double> rms_norm_eps;     // attention.layer_norm_rms_epsilon

  // Tokenizer.
  int64_t vocab_size = 0;       // tokens in tokenizer.ggml.tokens, else <arch>.vocab_size
  std::string tokenizer_model;  // tokenizer.ggml.model: "gpt2", "llama", ...
  std::string tokenizer_pre;    // tokenizer.ggml.pre; empty when absent
  int64_t n_merges = 0;
  std::optional<int64_t> bos_id;
  std::optional<int64_t> eos_id;
  bool has_chat_template = false;

  std::vector<ModelTensorSummary> tensors;  // file order
  uint64_t n_params = 0;
  uint64_t tensor_bytes = 0;
  std::string fingerprint;  // 32 hex digits
};

// Maps the file, validates it, and describes it. A wrong-typed
// hyperparameter is an error that names the key and its offset.
base::Result<ModelFileInfo> DescribeModelFile(const std::string& path);
base::Result<ModelFileInfo> DescribeModelFile(base::FileSystem* fs, const std::string& path);

// What `longhaul model tiny` makes. Row lengths (n_embd, n_head*head_dim,
// n_ff) must be multiples of the weight type's block size: 32 for q8_0 and
// q4_0, 256 for the k-quants.
struct TinyModelSpec {
  std::string arch = "llama";        // llama | qwen2 | qwen3
  std::string weight_type = "f32";   // f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k (2-D weights; norms and biases stay f32)
  int64_t n_layer = 2;
  int64_t n_embd = 256;
  int64_t n_head = 8;
  int64_t n_head_kv = 4;
  int64_t n_ff = 512;
  int64_t context_length = 4096;
  int64_t n_vocab = 0;               // 0: 512 for the built-in vocabulary, or the size of vocab_from's
  int64_t head_dim = 0;              // 0: n_embd / n_head
  std::optional<bool> tie_embeddings;   // default: separate output for llama, tied for qwen2/qwen3
  std::optional<double> rope_freq_base; // default: 10000 for llama, 1000000 for qwen2/qwen3
  std::optional<double> rms_norm_eps;   // default: 1e-5 for llama, 1e-6 for qwen2/qwen3
  uint64_t seed = 1;
  std::string vocab_from;  // a GGUF whose tokenizer.* metadata is copied; empty: built-in byte-level BPE
  std::string name;        // general.name; empty: "longhaul-tiny-<arch>-<type>"
};

// Writes the model atomically (temp file, fsync, rename). The same spec
// always gives the same bytes. A spec that cannot work (unknown arch or
// type, bad dims, row lengths that do not fit the type) is
// InvalidArgument, before anything is written.
base::Status WriteTinyModel(const TinyModelSpec& spec, const std::string& path);
base::Status WriteTinyModel(base::FileSystem* fs, const TinyModelSpec& spec, const std::string& path);

}  // namespace engine
