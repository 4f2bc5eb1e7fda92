// The dense KV cache: every key and value stored exactly (f32) or as fp16.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kv/attention_cache.h"
#include "engine/kv/dense_attend.h"
#include "engine/kv/state_io.h"
#include "engine/quant/fp16.h"
#include "engine/quant/vec.h"

namespace engine {
namespace {

using kv::StateReader;
using kv::StateWriter;

// Positions per closed block in checkpoints. Dense blocks carry raw rows,
// so the size only trades rows in the block index against live-state size.
constexpr int64_t kDenseBlockTokens = 64;
// Chunks at least this long take the tiled attention path.
constexpr int64_t kTiledMinTokens = 8;
constexpr char kDenseBlockMagic[8] = {'L', 'H', 'K', 'V', 'D', 'B', 'K', '1'};
constexpr char kDenseLiveMagic[8] = {'L', 'H', 'K', 'V', 'D', 'L', 'V', '1'};

class DenseCache final : public AttentionCache {
 public:
  explicit DenseCache(const AttentionCacheConfig& config) : config_(config) {
    const size_t elem = config.type == KvType::kF32 ? sizeof(float) : sizeof(uint16_t);
    head_stride_ = static_cast<size_t>(config.capacity) * static_cast<size_t>(config.head_dim);
    layer_bytes_ = head_stride_ * static_cast<size_t>(config.n_head_kv) * elem;
    k_.resize(static_cast<size_t>(config.n_layer));
    v_.resize(static_cast<size_t>(config.n_layer));
    for (int l = 0; l < config.n_layer; ++l) {
      k_[static_cast<size_t>(l)].resize(layer_bytes_);
      v_[static_cast<size_t>(l)].resize(layer_bytes_);
    }
  }

  base::Status Store(const KvChunk& chunk) override {
    const int layer = chunk.layer;
    const int64_t first_pos = chunk.first_pos, n_tokens = chunk.n_tokens;
    const float* k = chunk.k;
    const float* v = chunk.v;
    if (first_pos < 0 || n_tokens < 0 || first_pos + n_tokens > config_.capacity) {
      return base::OutOfRange("KV cache holds " + std::to_string(config_.capacity) +
                              " positions; cannot store positions " + std::to_string(first_pos) + ".." +
                              std::to_string(first_pos + n_tokens - 1));
    }
    const int hd = config_.head_dim;
    const int row = config_.n_head_kv * hd;
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int g = 0; g < config_.n_head_kv; ++g) {
        const size_t dst = static_cast<size_t>(g) * head_stride_ + static_cast<size_t>(first_pos + t) * hd;
        const float* ks = k + t * row + g * hd;
        const float* vs = v + t * row + g * hd;
        if (config_.type == KvType::kF32) {
          std::copy_n(ks, hd, KeysF32(layer) + dst);
          std::copy_n(vs, hd, ValuesF32(layer) + dst);
        } else {
          for (int c = 0; c < hd; ++c) {
            KeysF16(layer)[dst + c] = F32ToF16(ks[c]);
            ValuesF16(layer)[dst + c] = F32ToF16(vs[c]);
          }
        }
      }
    }
    if (layer == config_.n_layer - 1) n_positions_ = std::max(n_positions_, first_pos + n_tokens);
    return base::Status::Ok();
  }

  void Attend(const AttentionBatch& b, base::ThreadPool* pool) override {
    // Prefill chunks: tiles share each converted, transposed key among many
    // queries. Decode (a few queries) reads each row once per query, which
    // is cheaper than laying the rows out first.
    if (b.n_tokens >= kTiledMinTokens) {
      kv::DenseAttendArgs args;
      args.config = &config_;
      args.k = k_[static_cast<size_t>(b.layer)].data();
      args.v = v_[static_cast<size_t>(b.layer)].data();
      args.batch = &b;
      kv::DenseAttendTiled(args, pool, &tile_scratch_);
      return;
    }
    const int n_threads = pool->num_threads();
    if (static_cast<int>(scores_.size()) < n_threads) scores_.resize(static_cast<size_t>(n_threads));
    const int64_t max_keys = b.first_pos + b.n_tokens;
    for (auto& s : scores_) {
      if (static_cast<int64_t>(s.size()) < max_keys) s.resize(static_cast<size_t>(config_.capacity));
    }
    const int64_t units = b.n_tokens * config_.n_head;
    // Each (token, head) pair is independent; hand them out in contiguous runs.
    pool->Run([&](int thread) {
      const int64_t begin = units * thread / n_threads;
      const int64_t end = units * (thread + 1) / n_threads;
      float* scores = scores_[static_cast<size_t>(thread)].data();
      for (int64_t u = begin; u < end; ++u) AttendOne(b, u / config_.n_head, static_cast<int>(u % config_.n_head), scores);
    });
  }

  base::Status ReadRows(int layer, int64_t first, int64_t n, float* k, float* v) const override {
    if (layer < 0 || layer >= config_.n_layer || first < 0 || n < 0 || first + n > n_positions_) {
      return base::OutOfRange("dense KV rows " + std::to_string(first) + "+" + std::to_string(n) +
                              " of layer " + std::to_string(layer) + " are not held");
    }
    const int hd = config_.head_dim;
    const int row = config_.n_head_kv * hd;
    for (int64_t t = 0; t < n; ++t) {
      for (int g = 0; g < config_.n_head_kv; ++g) {
        const size_t src = static_cast<size_t>(g) * head_stride_ + static_cast<size_t>(first + t) * hd;
        float* kd = k + t * row + g * hd;
        float* vd = v + t * row + g * hd;
        for (int c = 0; c < hd; ++c) {
          kd[c] = config_.type == KvType::kF32 ? KeysF32(layer)[src + c] : F16ToF32(KeysF16(layer)[src + c]);
          vd[c] = config_.type == KvType::kF32 ? ValuesF32(layer)[src + c] : F16ToF32(ValuesF16(layer)[src + c]);
        }
      }
    }
    return base::Status::Ok();
  }

  int64_t n_positions() const override { return n_positions_; }
  void Truncate(int64_t n) override { n_positions_ = std::min(n_positions_, std::max<int64_t>(0, n)); }
  const AttentionCacheConfig& config() const override { return config_; }
  size_t memory_bytes() const override { return 2 * layer_bytes_ * static_cast<size_t>(config_.n_layer); }

  int64_t block_tokens() const override { return kDenseBlockTokens; }
  int64_t n_closed_blocks(int /*layer*/) const override { return n_positions_ / kDenseBlockTokens; }

  // Block: magic, u32 layer, u32 n_head_kv, u32 head_dim, u32 element
  // bytes, i64 first_pos, then per KV head K rows and V rows of its
  // positions, in the cache's element type. All of it is hot: the dense
  // cache copies every row back in on restore.
  void ExportBlock(int layer, int64_t index, KvBlock* out) const override {
    out->bytes.clear();
    StateWriter w(&out->bytes);
    w.PutArray(kDenseBlockMagic, 8);
    PutGeometry(&w, layer);
    w.Put<int64_t>(index * kDenseBlockTokens);
    PutRows(&w, layer, index * kDenseBlockTokens, kDenseBlockTokens);
    out->hot_bytes = out->bytes.size();
  }

  // Live state: magic, geometry of layer 0, i64 n_positions, then every
  // layer's rows past its last closed block.
  void ExportLive(std::string* out) const override {
    out->clear();
    StateWriter w(out);
    w.PutArray(kDenseLiveMagic, 8);
    PutGeometry(&w, 0);
    w.Put<int64_t>(n_positions_);
    const int64_t tail = n_closed_blocks(0) * kDenseBlockTokens;
    for (int l = 0; l < config_.n_layer; ++l) PutRows(&w, l, tail, n_positions_ - tail);
  }

  base::Status Restore(std::string_view live, const KvBlockFetcher& fetch) override {
    n_positions_ = 0;
    StateReader r(live, "dense KV live state");
    RETURN_IF_ERROR(CheckHeader(&r, kDenseLiveMagic, 0));
    int64_t n = 0;
    RETURN_IF_ERROR(r.Get("n_positions", &n));
    if (n < 0 || n > config_.capacity) {
      return r.Bad("n_positions", std::to_string(n) + " positions do not fit a cache of " +
                                      std::to_string(config_.capacity));
    }
    const int64_t n_blocks = n / kDenseBlockTokens, tail = n_blocks * kDenseBlockTokens;
    for (int l = 0; l < config_.n_layer; ++l) {
      for (int64_t b = 0; b < n_blocks; ++b) {
        ASSIGN_OR_RETURN(KvBlockView view, FetchOne(fetch, l, b));
        const std::string where = "dense KV block (layer " + std::to_string(l) + ", block " + std::to_string(b) + ")";
        if (!view.cold.empty()) return base::Corruption(where + ": has a cold part; dense blocks are all hot");
        StateReader br(view.hot, where);
        RETURN_IF_ERROR(CheckHeader(&br, kDenseBlockMagic, l));
        int64_t first = 0;
        RETURN_IF_ERROR(br.Get("first_pos", &first));
        if (first != b * kDenseBlockTokens) return br.Bad("first_pos", "block holds position " + std::to_string(first));
        RETURN_IF_ERROR(GetRows(&br, l, first, kDenseBlockTokens));
        if (br.remaining() != 0) return br.Bad("end", std::to_string(br.remaining()) + " trailing bytes");
      }
      RETURN_IF_ERROR(GetRows(&r, l, tail, n - tail));
    }
    if (r.remaining() != 0) return r.Bad("end", std::to_string(r.remaining()) + " trailing bytes");
    n_positions_ = n;
    return base::Status::Ok();
  }

 private:
  // out[h] = softmax(q[h] . K[0..pos] / sqrt(d)) . V[0..pos] for one token.
  void AttendOne(const AttentionBatch& b, int64_t t, int h, float* scores) const {
    const int hd = config_.head_dim;
    const int g = h / (config_.n_head / config_.n_head_kv);
    const int64_t n_keys = b.first_pos + t + 1;
    const float* q = b.q + (t * config_.n_head + h) * hd;           // [head_dim]
    float* out = b.out + (t * config_.n_head + h) * hd;             // [head_dim]
    const size_t base = static_cast<size_t>(g) * head_stride_;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));

    float max_score = -INFINITY;
    for (int64_t j = 0; j < n_keys; ++j) {  // scores: [n_keys]
      const size_t at = base + static_cast<size_t>(j) * hd;
      float s = config_.type == KvType::kF32 ? DotF32(KeysF32(b.layer) + at, q, hd)
                                             : DotF16F32(KeysF16(b.layer) + at, q, hd);
      s *= scale;
      scores[j] = s;
      max_score = std::max(max_score, s);
    }
    double sum = 0.0;
    for (int64_t j = 0; j < n_keys; ++j) {
      scores[j] = std::exp(scores[j] - max_score);
      sum += scores[j];
    }
    const float inv_sum = static_cast<float>(1.0 / sum);
    std::fill(out, out + hd, 0.0f);
    for (int64_t j = 0; j < n_keys; ++j) {
      const size_t at = base + static_cast<size_t>(j) * hd;
      const float p = scores[j] * inv_sum;
      if (config_.type == KvType::kF32) {
        AxpyF32(p, ValuesF32(b.layer) + at, out, hd);
      } else {
        AxpyF16(p, ValuesF16(b.layer) + at, out, hd);
      }
    }
  }

  size_t elem_bytes() const { return config_.type == KvType::kF32 ? sizeof(float) : sizeof(uint16_t); }

  void PutGeometry(StateWriter* w, int layer) const {
    w->Put<uint32_t>(static_cast<uint32_t>(layer));
    w->Put<uint32_t>(static_cast<uint32_t>(config_.n_head_kv));
    w->Put<uint32_t>(static_cast<uint32_t>(config_.head_dim));
    w->Put<uint32_t>(static_cast<uint32_t>(elem_bytes()));
  }

  base::Status CheckHeader(StateReader* r, const char (&magic)[8], int layer) const {
    char got[8];
    RETURN_IF_ERROR(r->GetArray("magic", got, 8));
    if (std::memcmp(got, magic, 8) != 0) return r->Bad("magic", "not a dense KV state of this version");
    uint32_t g[4];
    RETURN_IF_ERROR(r->GetArray("geometry", g, 4));
    const uint32_t want[4] = {static_cast<uint32_t>(layer), static_cast<uint32_t>(config_.n_head_kv),
                              static_cast<uint32_t>(config_.head_dim), static_cast<uint32_t>(elem_bytes())};
    if (std::memcmp(g, want, sizeof g) != 0) {
      return r->Bad("geometry", "layer/kv heads/head dim/element bytes " + std::to_string(g[0]) + "/" +
                                    std::to_string(g[1]) + "/" + std::to_string(g[2]) + "/" + std::to_string(g[3]) +
                                    ", this cache has " + std::to_string(want[0]) + "/" + std::to_string(want[1]) +
                                    "/" + std::to_string(want[2]) + "/" + std::to_string(want[3]));
    }
    return base::Status::Ok();
  }

  // Rows [first, first + n) of every KV head of `layer`: K then V per head.
  void PutRows(StateWriter* w, int layer, int64_t first, int64_t n) const {
    const size_t row = elem_bytes() * static_cast<size_t>(config_.head_dim);
    for (int g = 0; g < config_.n_head_kv; ++g) {
      const size_t at = (static_cast<size_t>(g) * head_stride_ + static_cast<size_t>(first) * config_.head_dim) *
                        elem_bytes();
      w->PutArray(k_[static_cast<size_t>(layer)].data() + at, row * static_cast<size_t>(n));
      w->PutArray(v_[static_cast<size_t>(layer)].data() + at, row * static_cast<size_t>(n));
    }
  }

  base::Status GetRows(StateReader* r, int layer, int64_t first, int64_t n) {
    const size_t row = elem_bytes() * static_cast<size_t>(config_.head_dim);
    for (int g = 0; g < config_.n_head_kv; ++g) {
      const size_t at = (static_cast<size_t>(g) * head_stride_ + static_cast<size_t>(first) * config_.head_dim) *
                        elem_bytes();
      RETURN_IF_ERROR(r->GetArray("keys", k_[static_cast<size_t>(layer)].data() + at, row * static_cast<size_t>(n)));
      RETURN_IF_ERROR(r->GetArray("values", v_[static_cast<size_t>(layer)].data() + at, row * static_cast<size_t>(n)));
    }
    return base::Status::Ok();
  }

  float* KeysF32(int l) { return reinterpret_cast<float*>(k_[static_cast<size_t>(l)].data()); }
  float* ValuesF32(int l) { return reinterpret_cast<float*>(v_[static_cast<size_t>(l)].data()); }
  uint16_t* KeysF16(int l) { return reinterpret_cast<uint16_t*>(k_[static_cast<size_t>(l)].data()); }
  uint16_t* ValuesF16(int l) { return reinterpret_cast<uint16_t*>(v_[static_cast<size_t>(l)].data()); }
  const float* KeysF32(int l) const { return reinterpret_cast<const float*>(k_[static_cast<size_t>(l)].data()); }
  const float* ValuesF32(int l) const { return reinterpret_cast<const float*>(v_[static_cast<size_t>(l)].data()); }
  const uint16_t* KeysF16(int l) const { return reinterpret_cast<const uint16_t*>(k_[static_cast<size_t>(l)].data()); }
  const uint16_t* ValuesF16(int l) const { return reinterpret_cast<const uint16_t*>(v_[static_cast<size_t>(l)].data()); }

  AttentionCacheConfig config_;
  size_t head_stride_ = 0;  // elements between kv heads: capacity * head_dim
  size_t layer_bytes_ = 0;
  // Per layer: [n_head_kv][capacity][head_dim], f32 or fp16. Byte vectors
  // keep one code path for both element types.
  std::vector<std::vector<uint8_t>> k_, v_;
  std::vector<std::vector<float>> scores_;  // per-thread scratch: [capacity]
  std::vector<kv::DenseTileScratch> tile_scratch_;  // per-thread scratch of the tiled path
  int64_t n_positions_ = 0;
};

}  // namespace

std::unique_ptr<AttentionCache> NewDenseCache(const AttentionCacheConfig& config) {
  return std::make_unique<DenseCache>(config);
}

}  // namespace engine
