// engine/: the public face of the inference engine.
//
// Model: an immutable loaded GGUF model (weights, tokenizer, fingerprint),
// cheap to copy and safe to share across threads.
// Context: the mutable state of one sequence (KV cache, position, thread
// pool). One thread uses a Context at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/filesystem.h"
#include "base/status.h"
#include "base/thread_pool.h"
#include "engine/kv/kv_block.h"
#include "engine/kv/kv_type.h"
#include "engine/kv/policy.h"
#include "engine/sampling/sampler.h"

namespace engine {

class LoadedModel;
class ForwardPass;
class Tokenizer;

// One compute backend this binary and machine can use ("cpu", "cuda:0").
struct BackendInfo {
  std::string name;
  std::string description;
  bool available = false;
};

// Lists the CPU backend (always available) and each CUDA device, or one
// unavailable "cuda" entry that says why there is none.
std::vector<BackendInfo> ListBackends();

// Checks a ContextOptions::backend value ("auto", "cpu", "cuda",
// "cuda:<n>") without opening anything.
base::Status ValidateBackendName(std::string_view backend);

// The CPU kernel family in use ("avx512-vnni", "avx2", "scalar").
std::string CpuKernelName();

struct ModelSummary {
  std::string path;
  std::string arch;
  std::string fingerprint;  // hex
  std::string tokenizer;    // "spm", "bpe (llama-bpe)", ...
  int n_layer = 0;
  int n_embd = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int n_ff = 0;
  int n_vocab = 0;
  int n_ctx_train = 0;
  uint64_t weight_bytes = 0;  // tensor data in the file
};

class Model {
 public:
  // Maps and validates the file. fs defaults to the real file system.
  static base::Result<Model> Load(const std::string& path, base::FileSystem* fs = nullptr);
  // Only the tokenizer, for vocabulary-only files (or to tokenize without
  // mapping weights). Such a model cannot create a Context.
  static base::Result<Model> LoadVocab(const std::string& path, base::FileSystem* fs = nullptr);

  ModelSummary Summary() const;

  // Text to token ids. add_special adds BOS/EOS as the model's metadata
  // says; parse_special turns the text of control tokens into those tokens.
  std::vector<int32_t> Tokenize(std::string_view text, bool add_special, bool parse_special) const;
  // The text of token `id`; control tokens (BOS, <|im_end|>, ...) render as
  // nothing unless render_special.
  std::string TokenToPiece(int32_t id, bool render_special = false) const;
  bool IsEndOfGeneration(int32_t id) const;
  // tokenizer.chat_template; empty when the file has none.
  std::string ChatTemplateSource() const;
  // BOS/EOS ids (-1 when absent) and whether the tokenizer prepends BOS.
  int32_t bos_token() const;
  int32_t eos_token() const;
  bool add_bos() const;
  int n_vocab() const;

  const std::shared_ptr<const LoadedModel>& loaded() const { return impl_; }

 private:
  explicit Model(std::shared_ptr<const LoadedModel> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const LoadedModel> impl_;
};

// Turns generated ids into text, holding back incomplete UTF-8 sequences.
class TextStream {
 public:
  explicit TextStream(const Model& model);
  ~TextStream();
  TextStream(TextStream&&) noexcept;
  std::string Push(int32_t id);
  std::string Flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ContextOptions {
  int64_t n_ctx = 4096;       // positions the KV cache holds
  KvType kv_type = KvType::kF16;  // element type of the dense cache
  KvPolicy kv_policy;              // dense, or the compressed tiers
  int n_threads = 0;          // 0: one per hardware thread
  int64_t n_batch = 256;      // prefill chunk
  // Where the forward pass runs: "cpu"; "cuda" or "cuda:<n>" (an error
  // when that device cannot be used); or "auto": CUDA device 0 when one is
  // present, else the CPU, said once per process when the binary has CUDA
  // but no device or driver is usable. Checkpoints do not depend on it.
  std::string backend = "cpu";
};

// What a context's KV held at one moment, for a checkpoint to compare with
// later (Context::kv_mark).
struct KvMark {
  int64_t edits = 0;   // truncations before the mark
  int64_t n_past = 0;  // positions held at the mark
};

class Context {
 public:
  static base::Result<std::unique_ptr<Context>> Create(const Model& model, const ContextOptions& options);
  ~Context();

  // Runs tokens at positions n_past().. . Afterwards logits() holds the
  // next-token logits. With all_logits non-null it also receives
  // [tokens.size()][n_vocab] logits.
  base::Status Eval(std::span<const int32_t> tokens, float* all_logits = nullptr);
  std::span<const float> logits() const;
  int64_t n_past() const;
  int64_t n_ctx() const;
  void Truncate(int64_t n);
  size_t kv_bytes() const;
  // The backend running this context: "cpu" or "cuda:<n>".
  std::string backend_name() const;
  // The k most likely next tokens (most likely first) with their softmax
  // probabilities at `temperature` > 0, computed where the logits are
  // (on a GPU only k pairs cross to the host).
  base::Status TopTokens(int k, float temperature, std::vector<TokenProb>* out);

  // --- Checkpoints (DESIGN.md section 5) ---
  // The KV state is, per layer, a run of closed blocks covering positions
  // [0, kv_closed_blocks(l) * kv_block_tokens()), each immutable once
  // closed (only Truncate below its end drops it), plus a small live state:
  // position, exact window, open blocks, and the policy. A checkpoint writes
  // each closed block once and the live state every time.
  //
  // The canonical KV policy text (KvPolicyToString) this context runs.
  std::string kv_policy_text() const;
  int64_t kv_block_tokens() const;
  int64_t kv_closed_blocks(int layer) const;
  // Self-contained bytes of one closed block (index < kv_closed_blocks):
  // its hot part, then its cold payload (engine/kv/kv_block.h). Corruption
  // if the block was restored from bytes that fail their check.
  base::Result<KvBlock> ExportKvBlock(int layer, int64_t index) const;
  // The live state; it names the geometry, the policy and n_past().
  base::Result<std::string> ExportKvLiveState() const;
  // Replaces this context's KV state with a checkpoint's: the live state
  // plus every closed block it implies, fetched through `fetch` (KvBlockView:
  // the hot part is copied, the cold payload is used in place and checked
  // against its CRC on first read; an Eval that meets a bad one fails with
  // Corruption and the context stays failed until the next RestoreKv or
  // Truncate(0)). Fails with
  // a clear error (and leaves the context empty, n_past() == 0) when the
  // bytes are malformed or the geometry or policy differ from this
  // context's. Afterwards logits() are the exporting context's last logits
  // and n_past() its position; every later Eval is bit-identical to the
  // exporting context's, on the same backend and thread count.
  base::Status RestoreKv(std::string_view live_state, const KvBlockFetcher& fetch);
  // How many leading positions hold the same KV rows as at `mark`: its
  // n_past, lowered by every Truncate and RestoreKv since. A checkpoint
  // may skip blocks below it that an earlier checkpoint stored; above it
  // the rows may be recomputed ones, which can differ in the last bits
  // even for the same tokens (another chunking selects differently), so
  // tokens alone cannot tell. 0 for a mark older than the last 1024 edits.
  KvMark kv_mark() const { return {kv_edit_count_, n_past()}; }
  int64_t kv_unchanged_since(const KvMark& mark) const;
  const Model& model() const { return model_; }

 private:
  Context(Model model, const ContextOptions& options);
  Model model_;
  ContextOptions options_;
  std::unique_ptr<base::ThreadPool> pool_;
  std::unique_ptr<ForwardPass> forward_;
  void LogKvEdit(int64_t n);
  int64_t kv_edit_count_ = 0;
  std::vector<int64_t> kv_edits_;  // positions truncated to, the last up to 1024, oldest first
};

}  // namespace engine
