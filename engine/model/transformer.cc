#include "engine/model/transformer.h"

#include <algorithm>

#include "base/log.h"
#include "engine/model/ops.h"
#include "engine/quant/quant.h"

namespace engine {

namespace {
size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }
// Token rows per thread at least for the per-token work between matmuls.
constexpr int64_t kMinParallelRows = 16;
}  // namespace

Transformer::Transformer(std::shared_ptr<const LoadedModel> model, std::unique_ptr<AttentionCache> cache,
                         base::ThreadPool* pool, const TransformerOptions& options)
    : model_(std::move(model)), cache_(std::move(cache)), pool_(pool), options_(options) {
  const HParams& hp = model_->hparams();
  const int64_t c = std::max<int64_t>(1, options_.max_chunk);
  options_.max_chunk = c;
  x_.resize(Sz(c, hp.n_embd));
  xn_.resize(Sz(c, hp.n_embd));
  q_.resize(Sz(c, hp.n_q()));
  k_.resize(Sz(c, hp.n_kv()));
  v_.resize(Sz(c, hp.n_kv()));
  attn_.resize(Sz(c, hp.n_q()));
  proj_.resize(Sz(c, hp.n_embd));
  gate_.resize(Sz(c, hp.n_ff));
  up_.resize(Sz(c, hp.n_ff));
  rope_.resize(Sz(c, hp.head_dim));
  keep_pre_rope_k_ = cache_->wants_pre_rope_keys();
  if (keep_pre_rope_k_) k_pre_rope_.resize(Sz(c, hp.n_kv()));
  last_logits_.resize(static_cast<size_t>(hp.n_vocab));
}

base::Status Transformer::Forward(std::span<const int32_t> tokens, float* all_logits) {
  const HParams& hp = model_->hparams();
  RETURN_IF_ERROR(CheckForwardInput(tokens, hp.n_vocab, n_past_, cache_->config().capacity));
  // A cache that met corrupt restored bytes (AttentionCache::fault) has
  // attended with zeros in their place: no result of it may be returned.
  RETURN_IF_ERROR(cache_->fault());
  const int64_t n_total = static_cast<int64_t>(tokens.size());
  for (int64_t start = 0; start < n_total; start += options_.max_chunk) {
    const int64_t n = std::min(options_.max_chunk, n_total - start);
    float* chunk_logits = all_logits ? all_logits + Sz(start, hp.n_vocab) : nullptr;
    ForwardChunk(tokens.data() + start, n, chunk_logits);
    RETURN_IF_ERROR(cache_->fault());
  }
  return base::Status::Ok();
}

base::Status Transformer::TopTokens(int k, float temperature, std::vector<TokenProb>* out) {
  if (k < 1 || k > model_->hparams().n_vocab || !(temperature > 0.0f)) {
    return base::InvalidArgument("top tokens: k must be in 1..n_vocab and the temperature positive");
  }
  TopTokensOf(last_logits_, k, temperature, out);
  return base::Status::Ok();
}

void Transformer::Truncate(int64_t n) {
  n_past_ = std::clamp<int64_t>(n, 0, n_past_);
  cache_->Truncate(n_past_);
}

// One chunk of n tokens at positions n_past_ .. n_past_ + n - 1.
void Transformer::ForwardChunk(const int32_t* tokens, int64_t n, float* logits) {
  const HParams& hp = model_->hparams();
  const ModelWeights& w = model_->weights();
  const int64_t d = hp.n_embd;

  // x[n][d] = token_embd[tokens]
  const int64_t embd_row_bytes = RowBytes(w.token_embd.type, d);
  for (int64_t t = 0; t < n; ++t) {
    DequantizeRow(w.token_embd.type, w.token_embd.data + tokens[t] * embd_row_bytes, &x_[Sz(t, d)], d);
  }
  auto rope_rows = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) RopeAngles(n_past_ + t, hp, &rope_[Sz(t, hp.head_dim)]);
  };
  if (pool_ != nullptr) {
    pool_->ParallelFor(n, kMinParallelRows, rope_rows);
  } else {
    rope_rows(0, n);
  }

  for (int l = 0; l < hp.n_layer; ++l) {
    Attention(l, n);
    FeedForward(l, n);
  }

  // xn[n][d] = rmsnorm(x) * output_norm
  for (int64_t t = 0; t < n; ++t) RmsNorm(&x_[Sz(t, d)], w.output_norm.data(), d, hp.rms_eps, &xn_[Sz(t, d)]);
  if (logits != nullptr) {
    MatMul(w.output, xn_.data(), n, logits, pool_, &scratch_);  // logits: [n][n_vocab]
    std::copy_n(logits + Sz(n - 1, hp.n_vocab), hp.n_vocab, last_logits_.data());
  } else {
    MatMul(w.output, &xn_[Sz(n - 1, d)], 1, last_logits_.data(), pool_, &scratch_);  // [n_vocab]
  }
  n_past_ += n;
}

void Transformer::Attention(int layer, int64_t n) {
  const HParams& hp = model_->hparams();
  const LayerWeights& L = model_->weights().layers[static_cast<size_t>(layer)];
  const int64_t d = hp.n_embd, nq = hp.n_q(), nkv = hp.n_kv(), hd = hp.head_dim;

  // xn[n][d] = rmsnorm(x) * attn_norm, fused into the shared input pass of
  // q: [n][n_head * hd], k: [n][n_head_kv * hd], v: [n][n_head_kv * hd].
  auto norm_rows = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) RmsNorm(&x_[Sz(t, d)], L.attn_norm.data(), d, hp.rms_eps, &xn_[Sz(t, d)]);
  };
  const base::FunctionRef<void(int64_t, int64_t)> prepare(norm_rows);
  const MatMulTarget qkv[] = {{L.wq, q_.data()}, {L.wk, k_.data()}, {L.wv, v_.data()}};
  MatMulShared({.x = xn_.data(), .n_tokens = n, .cols = d, .targets = qkv, .prepare = &prepare}, pool_, &scratch_);

  // Per token: bias, per-head norm, a copy of k before rotation (the
  // compressed cache stores keys unrotated, DESIGN.md section 4), RoPE.
  auto finish_rows = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      float* q = &q_[Sz(t, nq)];
      float* k = &k_[Sz(t, nkv)];
      if (hp.qkv_bias) {
        float* v = &v_[Sz(t, nkv)];
        for (int64_t i = 0; i < nq; ++i) q[i] += L.bq[static_cast<size_t>(i)];
        for (int64_t i = 0; i < nkv; ++i) k[i] += L.bk[static_cast<size_t>(i)];
        for (int64_t i = 0; i < nkv; ++i) v[i] += L.bv[static_cast<size_t>(i)];
      }
      if (hp.qk_norm) {  // qwen3: RMSNorm over each head's channels before RoPE
        for (int h = 0; h < hp.n_head; ++h) RmsNorm(q + h * hd, L.q_norm.data(), hd, hp.rms_eps, q + h * hd);
        for (int h = 0; h < hp.n_head_kv; ++h) RmsNorm(k + h * hd, L.k_norm.data(), hd, hp.rms_eps, k + h * hd);
      }
      if (keep_pre_rope_k_) std::copy_n(k, nkv, &k_pre_rope_[Sz(t, nkv)]);  // [n_kv]
      ApplyRope(&rope_[Sz(t, hd)], hp, hp.n_head, q);
      ApplyRope(&rope_[Sz(t, hd)], hp, hp.n_head_kv, k);
    }
  };
  if (pool_ != nullptr) {
    pool_->ParallelFor(n, kMinParallelRows, finish_rows);
  } else {
    finish_rows(0, n);
  }

  // Positions are checked against the capacity in Forward, so Store cannot fail here.
  KvChunk chunk;
  chunk.layer = layer;
  chunk.first_pos = n_past_;
  chunk.n_tokens = n;
  chunk.k = k_.data();
  chunk.v = v_.data();
  chunk.k_pre_rope = keep_pre_rope_k_ ? k_pre_rope_.data() : nullptr;
  base::Status stored = cache_->Store(chunk);
  CHECK(stored.ok()) << stored.ToString();
  AttentionBatch batch;
  batch.layer = layer;
  batch.first_pos = n_past_;
  batch.n_tokens = n;
  batch.q = q_.data();
  batch.out = attn_.data();  // attn: [n][n_head * hd]
  cache_->Attend(batch, pool_);

  MatMul(L.wo, attn_.data(), n, proj_.data(), pool_, &scratch_);  // proj: [n][d]
  for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += proj_[static_cast<size_t>(i)];
}

void Transformer::FeedForward(int layer, int64_t n) {
  const HParams& hp = model_->hparams();
  const LayerWeights& L = model_->weights().layers[static_cast<size_t>(layer)];
  const int64_t d = hp.n_embd, ff = hp.n_ff;

  // xn[n][d] = rmsnorm(x) * ffn_norm, fused into the shared input pass of
  // gate: [n][n_ff] and up: [n][n_ff].
  auto norm_rows = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) RmsNorm(&x_[Sz(t, d)], L.ffn_norm.data(), d, hp.rms_eps, &xn_[Sz(t, d)]);
  };
  const base::FunctionRef<void(int64_t, int64_t)> prepare_in(norm_rows);
  const MatMulTarget gate_up[] = {{L.w_gate, gate_.data()}, {L.w_up, up_.data()}};
  MatMulShared({.x = xn_.data(), .n_tokens = n, .cols = d, .targets = gate_up, .prepare = &prepare_in}, pool_,
               &scratch_);

  // gate := silu(gate) * up, fused into the input pass of proj: [n][d].
  auto swiglu_rows = [&](int64_t t0, int64_t t1) {
    SwiGlu(&gate_[Sz(t0, ff)], &up_[Sz(t0, ff)], (t1 - t0) * ff, &gate_[Sz(t0, ff)]);
  };
  const base::FunctionRef<void(int64_t, int64_t)> prepare_out(swiglu_rows);
  const MatMulTarget down[] = {{L.w_down, proj_.data()}};
  MatMulShared({.x = gate_.data(), .n_tokens = n, .cols = ff, .targets = down, .prepare = &prepare_out}, pool_,
               &scratch_);
  for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += proj_[static_cast<size_t>(i)];
}

}  // namespace engine
