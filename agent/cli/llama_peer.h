// llama.cpp as a peer, reached through its C API with dlopen: for
// `longhaul bench engine --llama-cpp` (speed side by side in one run) and
// the tests that check llama.cpp loads what we write and agrees with our
// logits. Nothing links against llama.cpp at build time.
//
// The libraries come from the pinned npm package @node-llama-cpp/linux-x64
// (scripts/npm-packages.txt), or any directory holding libllama.*.so and
// libggml.*.so of a llama.cpp with the same C API.
//
// Threading: one thread uses a LlamaPeer and its sessions at a time. The
// libraries stay loaded for the life of the process (llama.cpp keeps
// process-wide state).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace cli {

struct LlamaPeerApi;  // resolved symbols

struct LlamaSessionOptions {
  uint32_t n_ctx = 512;
  uint32_t n_batch = 512;  // the largest Decode call
  int n_threads = 2;
};

// A loaded model with one context.
class LlamaSession {
 public:
  ~LlamaSession();
  LlamaSession(const LlamaSession&) = delete;
  LlamaSession& operator=(const LlamaSession&) = delete;

  std::string description() const;  // llama_model_desc, e.g. "llama ?B all F32"
  int n_layer() const;
  int n_embd() const;
  int n_vocab() const;

  base::Result<std::vector<int32_t>> Tokenize(const std::string& text, bool add_special, bool parse_special) const;
  // Appends tokens to the sequence; afterwards Logits() are the last one's.
  base::Status Decode(std::span<const int32_t> tokens);
  std::span<const float> Logits() const;
  // A fresh context (empty KV cache), same options.
  base::Status Reset();

 private:
  friend class LlamaPeer;
  LlamaSession() = default;

  const LlamaPeerApi* api_ = nullptr;
  LlamaSessionOptions options_;
  void* model_ = nullptr;
  void* ctx_ = nullptr;
};

class LlamaPeer {
 public:
  // Loads the libraries from `dir` (empty: $LONGHAUL_LLAMA_CPP_DIR, else
  // the npm package under the source tree). NotFound names the directory.
  static base::Result<LlamaPeer> Load(const std::string& dir = "");

  // Opens a model file (llama.cpp validates it against its architecture).
  // llama.cpp's log of the attempt is part of the error.
  base::Result<std::unique_ptr<LlamaSession>> Open(const std::string& model_path,
                                                   const LlamaSessionOptions& options) const;
  const std::string& directory() const { return dir_; }

 private:
  const LlamaPeerApi* api_ = nullptr;
  std::string dir_;
};

}  // namespace cli
