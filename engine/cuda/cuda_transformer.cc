#include "engine/cuda/cuda_transformer.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "kernels/ops.h"

namespace engine::cuda {
namespace {

size_t Floats(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b) * sizeof(float); }

kernels::RopePairing PairingOf(RopeStyle style) {
  return style == RopeStyle::kAdjacent ? kernels::RopePairing::kAdjacent : kernels::RopePairing::kHalves;
}

}  // namespace

base::Result<std::unique_ptr<ForwardPass>> NewCudaForwardPass(std::shared_ptr<const LoadedModel> model,
                                                              std::unique_ptr<AttentionCache> cache,
                                                              const CudaForwardOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<CudaTransformer> t,
                   CudaTransformer::Create(std::move(model), std::move(cache), options));
  return std::unique_ptr<ForwardPass>(std::move(t));
}

base::Result<std::unique_ptr<CudaTransformer>> CudaTransformer::Create(std::shared_ptr<const LoadedModel> model,
                                                                       std::unique_ptr<AttentionCache> cache,
                                                                       const CudaForwardOptions& options) {
  std::unique_ptr<CudaTransformer> t(new CudaTransformer());
  t->model_ = std::move(model);
  ASSIGN_OR_RETURN(t->gpu_, kernels::Gpu::Open(options.device));
  ASSIGN_OR_RETURN(t->weights_, UploadWeights(t->gpu_.get(), *t->model_));
  t->keep_pre_rope_k_ = cache->wants_pre_rope_keys();
  ASSIGN_OR_RETURN(t->kv_, NewDeviceKv(t->gpu_.get(), std::move(cache)));
  t->max_chunk_ = std::max<int64_t>(1, std::min(options.max_chunk, t->kv_->max_chunk_tokens()));
  RETURN_IF_ERROR(t->Allocate());
  LOG(INFO) << "CUDA backend on " << t->gpu_->info().name << ": " << (t->weights_.bytes >> 20)
            << " MiB of weights, " << (t->kv_->device_bytes() >> 20) << " MiB of KV tiers";
  return t;
}

CudaTransformer::~CudaTransformer() {
  if (gpu_ != nullptr) (void)gpu_->Synchronize();  // nothing in flight reads what is freed next
}

base::Status CudaTransformer::Allocate() {
  const HParams& hp = model_->hparams();
  const int64_t c = max_chunk_;
  kernels::Gpu& g = *gpu_;
  ASSIGN_OR_RETURN(ids_, g.Alloc(static_cast<size_t>(c) * sizeof(int32_t)));
  ASSIGN_OR_RETURN(pos_, g.Alloc(sizeof(int64_t)));
  ASSIGN_OR_RETURN(pos_host_, g.AllocPinned(sizeof(int64_t)));
  ASSIGN_OR_RETURN(x_, g.Alloc(Floats(c, hp.n_embd)));
  ASSIGN_OR_RETURN(xn_, g.Alloc(Floats(c, hp.n_embd)));
  ASSIGN_OR_RETURN(q_, g.Alloc(Floats(c, hp.n_q())));
  ASSIGN_OR_RETURN(rows_, g.Alloc(Floats(static_cast<int64_t>(hp.n_layer) * row_slots() * c, hp.n_kv())));
  ASSIGN_OR_RETURN(attn_, g.Alloc(Floats(c, hp.n_q())));
  ASSIGN_OR_RETURN(gate_, g.Alloc(Floats(c, hp.n_ff)));
  ASSIGN_OR_RETURN(up_, g.Alloc(Floats(c, hp.n_ff)));
  ASSIGN_OR_RETURN(logits_, g.Alloc(Floats(1, hp.n_vocab)));
  ASSIGN_OR_RETURN(top_ids_, g.Alloc(kernels::kMaxTopK * sizeof(int32_t)));
  ASSIGN_OR_RETURN(top_probs_, g.Alloc(kernels::kMaxTopK * sizeof(float)));
  ASSIGN_OR_RETURN(ids_host_, g.AllocPinned(static_cast<size_t>(c) * sizeof(int32_t)));
  ASSIGN_OR_RETURN(kv_host_, g.AllocPinned(Floats(static_cast<int64_t>(hp.n_layer) * row_slots() * c, hp.n_kv())));
  last_logits_.assign(static_cast<size_t>(hp.n_vocab), 0.0f);
  last_logits_device_ = logits_.as<float>();
  graphs_ = kv_->capturable();
  graph_replays_ = 0;
  return g.Zero(logits_.get(), logits_.bytes());
}

base::Status CudaTransformer::Forward(std::span<const int32_t> tokens, float* all_logits) {
  const HParams& hp = model_->hparams();
  RETURN_IF_ERROR(CheckForwardInput(tokens, hp.n_vocab, n_past_, cache().config().capacity));
  RETURN_IF_ERROR(fault_);
  RETURN_IF_ERROR(cache().fault());
  const int64_t n_total = static_cast<int64_t>(tokens.size());
  for (int64_t start = 0; start < n_total; start += max_chunk_) {
    const int64_t n = std::min(max_chunk_, n_total - start);
    float* chunk_logits = all_logits ? all_logits + static_cast<size_t>(start) * hp.n_vocab : nullptr;
    if (base::Status s = ForwardChunk(tokens.data() + start, n, chunk_logits); !s.ok()) {
      // Drop whatever part of the chunk reached either cache.
      Truncate(n_past_);
      return s;
    }
    RETURN_IF_ERROR(cache().fault());
  }
  return base::Status::Ok();
}

base::Status CudaTransformer::ForwardChunk(const int32_t* tokens, int64_t n, float* all_logits) {
  const HParams& hp = model_->hparams();
  kernels::Gpu& g = *gpu_;
  const int64_t first_row = all_logits != nullptr ? 0 : n - 1;  // rows whose logits are wanted
  const int64_t rows = n - first_row;
  if (logits_.bytes() < Floats(rows, hp.n_vocab)) {
    // The last logits move to the host before their buffer goes, so a
    // chunk that fails from here on leaves them readable.
    (void)last_logits();
    RETURN_IF_ERROR(g.Synchronize());
    decode_graph_.reset();  // it writes the old buffer
    ASSIGN_OR_RETURN(logits_, g.Alloc(Floats(rows, hp.n_vocab)));
    last_logits_device_ = logits_.as<float>();
  }
  // Pinned sources: the copies run in stream order, and the buffers are
  // rewritten only after the chunk's closing Synchronize.
  std::memcpy(ids_host_.get(), tokens, static_cast<size_t>(n) * sizeof(int32_t));
  *pos_host_.as<int64_t>() = n_past_;
  RETURN_IF_ERROR(g.CopyToDevice(ids_.get(), ids_host_.get(), static_cast<size_t>(n) * sizeof(int32_t)));
  RETURN_IF_ERROR(g.CopyToDevice(pos_.get(), pos_host_.get(), sizeof(int64_t)));
  if (n == 1 && all_logits == nullptr && DecodeByGraph()) {
    RETURN_IF_ERROR(decode_graph_->Launch());
    ++graph_replays_;
  } else {
    RETURN_IF_ERROR(RunModel(n, first_row, nullptr));
  }
  last_logits_device_ = logits_.as<float>() + (rows - 1) * hp.n_vocab;
  // Every layer's keys and values for the host cache, in one copy.
  const size_t kv_bytes = Floats(static_cast<int64_t>(hp.n_layer) * row_slots() * n, hp.n_kv());
  RETURN_IF_ERROR(g.CopyToHostAsync(kv_host_.get(), rows_.get(), kv_bytes));
  if (all_logits != nullptr) {
    RETURN_IF_ERROR(g.CopyToHost(all_logits, logits_.get(), Floats(rows, hp.n_vocab)));
  } else {
    RETURN_IF_ERROR(g.Synchronize());
  }
  logits_on_host_ = false;
  RETURN_IF_ERROR(StoreOnHost(n));
  n_past_ += n;
  return base::Status::Ok();
}

bool CudaTransformer::DecodeByGraph() {
  if (!graphs_) return false;
  if (decode_graph_ != nullptr) return true;
  auto graph = gpu_->Capture([this] { return RunModel(1, 0, pos_.as<int64_t>()); });
  if (!graph.ok()) {
    // Eager launches compute the same; only the launch cost differs.
    graphs_ = false;
    LOG(WARNING) << "CUDA graph capture failed (" << graph.status().ToString() << "); decoding with eager launches";
    return false;
  }
  decode_graph_ = std::move(*graph);
  return true;
}

base::Status CudaTransformer::RunModel(int64_t n, int64_t first_row, const int64_t* device_pos) {
  const HParams& hp = model_->hparams();
  kernels::Gpu& g = *gpu_;
  const int64_t d = hp.n_embd;
  // x[n][d] = token_embd[ids]
  RETURN_IF_ERROR(kernels::GatherRows(g, {weights_.token_embd, ids_.as<int32_t>(), x_.as<float>(), n}));
  for (int l = 0; l < hp.n_layer; ++l) {
    RETURN_IF_ERROR(Attention(l, n, device_pos));
    RETURN_IF_ERROR(FeedForward(l, n));
  }
  // xn[rows][d] = rmsnorm(x[first_row..]) * output_norm; logits[rows][n_vocab] = xn W_out^T
  const int64_t rows = n - first_row;
  const float* x_rows = x_.as<float>() + first_row * d;
  RETURN_IF_ERROR(kernels::RmsNorm(g, {x_rows, weights_.output_norm, xn_.as<float>(), rows, hp.n_embd, hp.rms_eps}));
  return kernels::MatMul(g, {weights_.output, xn_.as<float>(), logits_.as<float>(), rows});
}

base::Status CudaTransformer::Attention(int layer, int64_t n, const int64_t* device_pos) {
  const HParams& hp = model_->hparams();
  const CudaLayerWeights& L = weights_.layers[static_cast<size_t>(layer)];
  kernels::Gpu& g = *gpu_;
  const int64_t nkv = hp.n_kv();
  float* q = q_.as<float>();  // [n][n_head * hd]
  float* k = rows_.as<float>() + static_cast<size_t>(layer * row_slots() * n * nkv);  // [n][n_head_kv * hd]
  float* v = k + n * nkv;      // [n][n_head_kv * hd]
  float* k_pre = v + n * nkv;  // [n][n_head_kv * hd], before RoPE

  // xn[n][d] = rmsnorm(x) * attn_norm; q, k, v = xn W^T
  RETURN_IF_ERROR(kernels::RmsNorm(g, {x_.as<float>(), L.attn_norm, xn_.as<float>(), n, hp.n_embd, hp.rms_eps}));
  RETURN_IF_ERROR(kernels::MatMul(g, {L.wq, xn_.as<float>(), q, n}));
  RETURN_IF_ERROR(kernels::MatMul(g, {L.wk, xn_.as<float>(), k, n}));
  RETURN_IF_ERROR(kernels::MatMul(g, {L.wv, xn_.as<float>(), v, n}));
  if (hp.qkv_bias) {
    RETURN_IF_ERROR(kernels::AddBias(g, q, L.bq, n, hp.n_q()));
    RETURN_IF_ERROR(kernels::AddBias(g, k, L.bk, n, nkv));
    RETURN_IF_ERROR(kernels::AddBias(g, v, L.bv, n, nkv));
  }
  if (hp.qk_norm) {  // qwen3: RMSNorm over each head's channels before RoPE
    RETURN_IF_ERROR(kernels::RmsNorm(g, {q, L.q_norm, q, n * hp.n_head, hp.head_dim, hp.rms_eps}));
    RETURN_IF_ERROR(kernels::RmsNorm(g, {k, L.k_norm, k, n * hp.n_head_kv, hp.head_dim, hp.rms_eps}));
  }
  if (keep_pre_rope_k_) RETURN_IF_ERROR(g.CopyOnDevice(k_pre, k, Floats(n, nkv)));
  // The CPU backend rotates every channel pair with exponent 2i / head_dim.
  kernels::RopeArgs rope;
  rope.x = q;
  rope.n_tokens = n;
  rope.first_pos = n_past_;
  rope.first_pos_device = device_pos;
  rope.n_heads = hp.n_head;
  rope.head_dim = rope.n_rot = hp.head_dim;
  rope.freq_base = hp.rope_freq_base;
  rope.freq_scale = hp.rope_freq_scale;
  rope.pairing = PairingOf(hp.rope_style);
  RETURN_IF_ERROR(kernels::Rope(g, rope));
  rope.x = k;
  rope.n_heads = hp.n_head_kv;
  RETURN_IF_ERROR(kernels::Rope(g, rope));

  const KvChunk chunk{layer, n_past_, n, k, v, keep_pre_rope_k_ ? k_pre : nullptr};
  const AttentionBatch batch{layer, n_past_, n, q, attn_.as<float>()};  // attn: [n][n_head * hd]
  if (device_pos != nullptr) {
    RETURN_IF_ERROR(kv_->StoreAt(chunk, device_pos));
    RETURN_IF_ERROR(kv_->AttendAt(batch, device_pos));
  } else {
    RETURN_IF_ERROR(kv_->Store(chunk));
    RETURN_IF_ERROR(kv_->Attend(batch));
  }

  // x[n][d] += attn W_o^T
  return kernels::MatMul(g, {L.wo, attn_.as<float>(), x_.as<float>(), n, /*accumulate=*/true});
}

base::Status CudaTransformer::FeedForward(int layer, int64_t n) {
  const HParams& hp = model_->hparams();
  const CudaLayerWeights& L = weights_.layers[static_cast<size_t>(layer)];
  kernels::Gpu& g = *gpu_;
  float* gate = gate_.as<float>();  // [n][n_ff]
  float* up = up_.as<float>();      // [n][n_ff]

  // xn[n][d] = rmsnorm(x) * ffn_norm; x += (silu(xn W_gate^T) * (xn W_up^T)) W_down^T
  RETURN_IF_ERROR(kernels::RmsNorm(g, {x_.as<float>(), L.ffn_norm, xn_.as<float>(), n, hp.n_embd, hp.rms_eps}));
  RETURN_IF_ERROR(kernels::MatMul(g, {L.w_gate, xn_.as<float>(), gate, n}));
  RETURN_IF_ERROR(kernels::MatMul(g, {L.w_up, xn_.as<float>(), up, n}));
  RETURN_IF_ERROR(kernels::SwiGlu(g, gate, up, n * hp.n_ff, gate));
  return kernels::MatMul(g, {L.w_down, gate, x_.as<float>(), n, /*accumulate=*/true});  // x: [n][d]
}

base::Status CudaTransformer::StoreOnHost(int64_t n) {
  const HParams& hp = model_->hparams();
  const int64_t nkv = hp.n_kv();
  for (int l = 0; l < hp.n_layer; ++l) {
    const float* host = kv_host_.as<float>() + static_cast<size_t>(l * row_slots() * n * nkv);  // [slots][n][n_kv]
    KvChunk chunk;
    chunk.layer = l;
    chunk.first_pos = n_past_;
    chunk.n_tokens = n;
    chunk.k = host;
    chunk.v = host + n * nkv;
    chunk.k_pre_rope = keep_pre_rope_k_ ? host + 2 * n * nkv : nullptr;
    RETURN_IF_ERROR(cache().Store(chunk));
  }
  return kv_->AfterHostStore();
}

std::span<const float> CudaTransformer::last_logits() const {
  if (!logits_on_host_) {
    // A failed copy leaves the previous values; the next Forward reports it.
    if (gpu_->CopyToHost(last_logits_.data(), last_logits_device_, last_logits_.size() * sizeof(float)).ok()) {
      logits_on_host_ = true;
    }
  }
  return last_logits_;
}

void CudaTransformer::Truncate(int64_t n) {
  n_past_ = std::clamp<int64_t>(n, 0, n_past_);
  if (n_past_ == 0) fault_ = base::Status::Ok();
  cache().Truncate(n_past_);
  if (base::Status s = kv_->AfterHostTruncate(); !s.ok()) fault_ = s;
}

base::Status CudaTransformer::SetRestoredState(std::span<const float> last_logits) {
  n_past_ = cache().n_positions();
  fault_ = base::Status::Ok();
  std::copy(last_logits.begin(), last_logits.end(), last_logits_.begin());
  logits_on_host_ = true;
  last_logits_device_ = logits_.as<float>();
  RETURN_IF_ERROR(gpu_->CopyToDevice(logits_.get(), last_logits_.data(), last_logits_.size() * sizeof(float)));
  return kv_->Reload();
}

base::Status CudaTransformer::TopTokens(int k, float temperature, std::vector<TokenProb>* out) {
  const int n_vocab = model_->hparams().n_vocab;
  if (k < 1 || k > n_vocab || !(temperature > 0.0f)) {
    return base::InvalidArgument("top tokens: k must be in 1..n_vocab and the temperature positive");
  }
  // Past the device kernel's k, or with the logits already here, the host
  // does it (the same answer, TopTokensOf).
  if (k > kernels::kMaxTopK || logits_on_host_) {
    TopTokensOf(last_logits(), k, temperature, out);
    return base::Status::Ok();
  }
  kernels::TopKArgs a{last_logits_device_, n_vocab, k, temperature, top_ids_.as<int32_t>(), top_probs_.as<float>()};
  RETURN_IF_ERROR(kernels::TopK(*gpu_, a));
  std::vector<int32_t> ids(static_cast<size_t>(k));
  std::vector<float> probs(static_cast<size_t>(k));
  RETURN_IF_ERROR(gpu_->CopyToHost(ids.data(), top_ids_.get(), ids.size() * sizeof(int32_t)));
  RETURN_IF_ERROR(gpu_->CopyToHost(probs.data(), top_probs_.get(), probs.size() * sizeof(float)));
  out->clear();
  for (int i = 0; i < k; ++i) out->push_back({ids[static_cast<size_t>(i)], probs[static_cast<size_t>(i)]});
  return base::Status::Ok();
}

}  // namespace engine::cuda
