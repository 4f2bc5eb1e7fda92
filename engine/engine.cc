// The public engine API, over the private model, tokenizer and transformer.
#include "engine/engine.h"

#include <algorithm>
#include <charconv>
#include <mutex>

#include "base/log.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/kv/attention_cache.h"
#include "engine/kv/factory.h"
#include "engine/model/model.h"
#include "engine/model/transformer.h"
#include "engine/quant/cpu_features.h"
#include "engine/tokenizer/tokenizer.h"
#include "kernels/kernels.h"

namespace engine {
namespace {

struct BackendChoice {
  enum class Kind { kCpu, kCuda, kAuto } kind = Kind::kCpu;
  int device = 0;
};

base::Result<BackendChoice> ParseBackend(std::string_view name) {
  if (name == "cpu") return BackendChoice{BackendChoice::Kind::kCpu, 0};
  if (name == "auto") return BackendChoice{BackendChoice::Kind::kAuto, 0};
  if (name == "cuda") return BackendChoice{BackendChoice::Kind::kCuda, 0};
  if (name.starts_with("cuda:")) {
    const std::string_view digits = name.substr(5);
    int device = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), device);
    if (ec == std::errc() && end == digits.data() + digits.size() && device >= 0) {
      return BackendChoice{BackendChoice::Kind::kCuda, device};
    }
  }
  return base::InvalidArgument("unknown backend '" + std::string(name) + "' (use auto, cpu, cuda or cuda:<n>)");
}

// `auto` without a usable device: said once per process, and only by a
// binary that has CUDA (a CPU-only build has nothing to explain).
void NoteCpuFallback(const std::string& why) {
  static std::once_flag once;
  std::call_once(once, [&] { LOG(WARNING) << "CUDA backend unavailable (" << why << "); running on the CPU"; });
}

// The forward pass the options ask for, over a fresh KV cache of `cache`'s
// geometry: CUDA when asked (or, for auto, when a device is there and
// takes the model), the CPU otherwise.
base::Result<std::unique_ptr<ForwardPass>> MakeForwardPass(const Model& model, const ContextOptions& options,
                                                           const AttentionCacheConfig& cache, base::ThreadPool* pool) {
  const HParams& hp = model.loaded()->hparams();
  ASSIGN_OR_RETURN(const BackendChoice backend, ParseBackend(options.backend));
  ASSIGN_OR_RETURN(std::unique_ptr<AttentionCache> kv, NewAttentionCache(cache, options.kv_policy, KvRopeFor(hp)));
  if (backend.kind != BackendChoice::Kind::kCpu && kernels::BuiltWithCuda()) {
    std::string why;
    const bool present = !kernels::ProbeDevices(&why).empty();
    if (present || backend.kind == BackendChoice::Kind::kCuda) {
      cuda::CudaForwardOptions copts;
      copts.device = backend.device;
      copts.max_chunk = options.n_batch;
      auto forward = cuda::NewCudaForwardPass(model.loaded(), std::move(kv), copts);
      if (forward.ok() || backend.kind == BackendChoice::Kind::kCuda) return forward;
      why = forward.status().message();
      // The failed attempt consumed the cache; the CPU gets a fresh one.
      ASSIGN_OR_RETURN(kv, NewAttentionCache(cache, options.kv_policy, KvRopeFor(hp)));
    }
    NoteCpuFallback(why);
  } else if (backend.kind == BackendChoice::Kind::kCuda) {
    return base::Unsupported("--backend cuda: this longhaul was built without CUDA");
  }
  TransformerOptions topts;
  topts.max_chunk = options.n_batch;
  return std::unique_ptr<ForwardPass>(std::make_unique<Transformer>(model.loaded(), std::move(kv), pool, topts));
}

}  // namespace

base::Status ValidateBackendName(std::string_view backend) { return ParseBackend(backend).status(); }

std::string CpuKernelName() { return std::string(KernelLevelName(BestKernelLevel())); }

base::Result<Model> Model::Load(const std::string& path, base::FileSystem* fs) {
  ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> loaded,
                   LoadedModel::Load(fs ? fs : base::DefaultFileSystem(), path));
  return Model(std::move(loaded));
}

base::Result<Model> Model::LoadVocab(const std::string& path, base::FileSystem* fs) {
  ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> loaded,
                   LoadedModel::Load(fs ? fs : base::DefaultFileSystem(), path, /*vocab_only=*/true));
  return Model(std::move(loaded));
}

ModelSummary Model::Summary() const {
  const HParams& hp = impl_->hparams();
  ModelSummary s;
  s.path = impl_->path();
  s.arch = hp.arch_name;
  s.fingerprint = impl_->fingerprint();
  const Tokenizer& tok = impl_->tokenizer();
  switch (tok.kind()) {
    case TokenizerKind::kSpm: s.tokenizer = "spm"; break;
    case TokenizerKind::kBpe: s.tokenizer = "bpe (" + std::string(tok.pre()) + ")"; break;
    case TokenizerKind::kWpm: s.tokenizer = "wpm"; break;
  }
  s.n_layer = hp.n_layer;
  s.n_embd = hp.n_embd;
  s.n_head = hp.n_head;
  s.n_head_kv = hp.n_head_kv;
  s.head_dim = hp.head_dim;
  s.n_ff = hp.n_ff;
  s.n_vocab = hp.n_vocab;
  s.n_ctx_train = hp.n_ctx_train;
  for (const TensorInfo& t : impl_->gguf().tensors()) s.weight_bytes += t.n_bytes;
  return s;
}

std::vector<int32_t> Model::Tokenize(std::string_view text, bool add_special, bool parse_special) const {
  return impl_->tokenizer().Encode(text, add_special, parse_special);
}

std::string Model::TokenToPiece(int32_t id, bool render_special) const {
  return impl_->tokenizer().TokenToPiece(id, render_special);
}
std::string Model::ChatTemplateSource() const { return impl_->gguf().GetStringOr("tokenizer.chat_template", ""); }
int32_t Model::bos_token() const { return impl_->tokenizer().bos(); }
int32_t Model::eos_token() const { return impl_->tokenizer().eos(); }
bool Model::add_bos() const { return impl_->tokenizer().add_bos(); }
bool Model::IsEndOfGeneration(int32_t id) const { return impl_->tokenizer().IsEndOfGeneration(id); }
int Model::n_vocab() const { return impl_->hparams().n_vocab; }

struct TextStream::Impl {
  std::shared_ptr<const LoadedModel> model;  // keeps the tokenizer alive
  StreamingDetokenizer detok;
  explicit Impl(std::shared_ptr<const LoadedModel> m) : model(std::move(m)), detok(&model->tokenizer()) {}
};

TextStream::TextStream(const Model& model) : impl_(std::make_unique<Impl>(model.loaded())) {}
TextStream::~TextStream() = default;
TextStream::TextStream(TextStream&&) noexcept = default;
std::string TextStream::Push(int32_t id) { return impl_->detok.Push(id); }
std::string TextStream::Flush() { return impl_->detok.Flush(); }

Context::Context(Model model, const ContextOptions& options) : model_(std::move(model)), options_(options) {}
Context::~Context() = default;

base::Result<std::unique_ptr<Context>> Context::Create(const Model& model, const ContextOptions& options) {
  if (options.n_ctx <= 0) return base::InvalidArgument("context size must be positive");
  if (options.n_batch <= 0) return base::InvalidArgument("batch size must be positive");
  if (options.n_threads < 0) return base::InvalidArgument("thread count must not be negative");
  if (model.loaded()->vocab_only()) {
    return base::InvalidArgument(model.loaded()->path() + " was loaded as a vocabulary only; it cannot run");
  }
  const HParams& hp = model.loaded()->hparams();
  std::unique_ptr<Context> ctx(new Context(model, options));
  ctx->pool_ = std::make_unique<base::ThreadPool>(options.n_threads);
  AttentionCacheConfig cache;
  cache.n_layer = hp.n_layer;
  cache.n_head = hp.n_head;
  cache.n_head_kv = hp.n_head_kv;
  cache.head_dim = hp.head_dim;
  cache.capacity = options.n_ctx;
  cache.type = options.kv_type;
  ASSIGN_OR_RETURN(ctx->forward_, MakeForwardPass(model, options, cache, ctx->pool_.get()));
  return ctx;
}

base::Status Context::Eval(std::span<const int32_t> tokens, float* all_logits) {
  return forward_->Forward(tokens, all_logits);
}
std::span<const float> Context::logits() const { return forward_->last_logits(); }
int64_t Context::n_past() const { return forward_->n_past(); }
int64_t Context::n_ctx() const { return options_.n_ctx; }
void Context::Truncate(int64_t n) {
  LogKvEdit(n);
  forward_->Truncate(n);
}

void Context::LogKvEdit(int64_t n) {
  constexpr size_t kKept = 1024;
  if (kv_edits_.size() == kKept) kv_edits_.erase(kv_edits_.begin());
  kv_edits_.push_back(n);
  ++kv_edit_count_;
}

int64_t Context::kv_unchanged_since(const KvMark& mark) const {
  const int64_t since = kv_edit_count_ - mark.edits;  // edits after the mark
  if (since < 0 || since > static_cast<int64_t>(kv_edits_.size())) return 0;
  int64_t unchanged = std::min(mark.n_past, n_past());
  for (size_t i = kv_edits_.size() - static_cast<size_t>(since); i < kv_edits_.size(); ++i) {
    unchanged = std::min(unchanged, kv_edits_[i]);
  }
  return std::max<int64_t>(unchanged, 0);
}
size_t Context::kv_bytes() const { return forward_->kv_bytes(); }
std::string Context::backend_name() const { return forward_->backend_name(); }
base::Status Context::TopTokens(int k, float temperature, std::vector<TokenProb>* out) {
  return forward_->TopTokens(k, temperature, out);
}

}  // namespace engine
