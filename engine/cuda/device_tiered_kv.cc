// The tiered cache's device tiers: a mirror of what TieredCache::Attend
// reads, kept by Store (ring and sinks, from the device rows),
// AfterHostStore (what the host closed: index, summaries, cold payloads)
// and Reload (everything, after a host Truncate or Restore).
//
// Where it lives:
//   device  sinks, ring (window + largest chunk), index, summaries, the
//           per-block table of cold payload addresses, and attention scratch;
//   pinned  every closed block's cold payload (mapped: the gather and
//           re-rank kernels read the selected rows over the bus).
#include "engine/cuda/device_tiered_kv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/tiered.h"

namespace engine::cuda {
namespace {

using kernels::DeviceBuffer;
using kernels::Gpu;
using kernels::PinnedBuffer;

static_assert(sizeof(kv::UnitMeta) == 4, "UnitMeta uploads as one word: scale_f16 | l1 << 16");

constexpr size_t kSlabBytes = size_t{4} << 20;  // pinned cold memory per allocation

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

struct Layer {
  TieredParams p;  // window already clamped to the far-distance cap
  DeviceBuffer sink_k, sink_v, sink_k_pre, ring_k, ring_v, env, meta, sum_k, sum_v, cold_table;
  std::vector<PinnedBuffer> slabs;         // [blocks / slab_blocks] cold payloads
  int64_t slab_blocks = 1;
  std::vector<const uint8_t*> cold_ptrs;   // [block_cap] what cold_table holds
  kernels::TieredLayerView view;
  int64_t n = 0;         // positions stored on the device
  int64_t ring_lo = 0;   // oldest position the device ring holds
  int64_t n_blocks = 0;  // closed blocks mirrored
};

class DeviceTieredKv final : public DeviceKv {
 public:
  DeviceTieredKv(Gpu* gpu, std::unique_ptr<kv::TieredCache> host) : gpu_(gpu), host_(std::move(host)) {}

  base::Status Init();

  AttentionCache& host() override { return *host_; }
  const AttentionCache& host() const override { return *host_; }
  base::Status Store(const KvChunk& chunk) override;
  base::Status Attend(const AttentionBatch& batch) override;
  base::Status AfterHostStore() override;
  base::Status AfterHostTruncate() override { return Mirror(/*keep_blocks=*/true); }
  base::Status Reload() override { return Mirror(/*keep_blocks=*/false); }
  size_t device_bytes() const override { return device_bytes_; }
  int64_t max_chunk_tokens() const override { return max_chunk_; }

 private:
  base::Result<DeviceBuffer> Alloc(size_t bytes) {
    ASSIGN_OR_RETURN(DeviceBuffer b, gpu_->Alloc(std::max<size_t>(bytes, 16)));
    RETURN_IF_ERROR(gpu_->Zero(b.get(), b.bytes()));
    device_bytes_ += b.bytes();
    return b;
  }
  base::Status InitLayer(int l);
  base::Status InitScratch();
  // Mirrors host blocks [b0, b1) of layer l: index, summaries, cold.
  base::Status UploadBlocks(int l, int64_t b0, int64_t b1);
  base::Status Mirror(bool keep_blocks);
  kernels::TieredPlan PlanFor(const Layer& L, const AttentionBatch& b) const;

  Gpu* gpu_;
  std::unique_ptr<kv::TieredCache> host_;
  std::vector<Layer> layers_;
  int64_t max_chunk_ = 0;
  size_t device_bytes_ = 0;
  DeviceBuffer rope_digits_, rope_freq_;
  kernels::TieredRopeView rope_;
  std::vector<DeviceBuffer> scratch_buffers_;
  kernels::TieredScratch scratch_;
  std::vector<uint16_t> ring_stage_;  // [n_head_kv][ring_cap][d], Reload's staging
};

base::Status DeviceTieredKv::Init() {
  const AttentionCacheConfig& c = host_->config();
  if (c.capacity >= (int64_t{1} << 31)) return base::Unsupported("tiered KV cache on CUDA: capacity must be < 2^31");
  max_chunk_ = c.capacity;
  for (int l = 0; l < c.n_layer; ++l) {
    const TieredParams& p = host_->layer(l).geometry().params;
    // A chunk [f, f + n) reads far units below f + n - W; every unit below
    // the last block boundary <= f is mirrored before the chunk starts, so
    // n <= W - (f mod block) for any f, i.e. n <= W - block + 1.
    max_chunk_ = std::min<int64_t>(max_chunk_, p.window - p.block + 1);
  }
  max_chunk_ = std::max<int64_t>(1, max_chunk_);
  const kv::RopeTable& rope = host_->rope_table();
  const int nrh = rope.n_rot_half();
  const size_t table = Sz(1024, 2 * nrh);
  ASSIGN_OR_RETURN(rope_digits_, Alloc(3 * table * sizeof(float)));
  ASSIGN_OR_RETURN(rope_freq_, Alloc(static_cast<size_t>(nrh) * sizeof(double)));
  for (int k = 0; k < 3; ++k) {
    RETURN_IF_ERROR(gpu_->CopyToDevice(rope_digits_.as<float>() + k * table, rope.digit_table(k).data(),
                                       table * sizeof(float)));
  }
  RETURN_IF_ERROR(gpu_->CopyToDevice(rope_freq_.get(), rope.freq().data(), static_cast<size_t>(nrh) * sizeof(double)));
  rope_.digits = rope_digits_.as<float>();
  rope_.freq = rope_freq_.as<double>();
  rope_.n_rot_half = nrh;
  rope_.adjacent = rope.style() == RopeStyle::kAdjacent;
  layers_.resize(static_cast<size_t>(c.n_layer));
  for (int l = 0; l < c.n_layer; ++l) RETURN_IF_ERROR(InitLayer(l));
  RETURN_IF_ERROR(InitScratch());
  return Reload();
}

base::Status DeviceTieredKv::InitLayer(int l) {
  const AttentionCacheConfig& c = host_->config();
  const kv::LayerStore& H = host_->layer(l);
  Layer& L = layers_[static_cast<size_t>(l)];
  L.p = H.geometry().params;
  const int d = c.head_dim, nkv = c.n_head_kv;
  kernels::TieredLayerView& v = L.view;
  v.n_head_kv = nkv;
  v.head_dim = d;
  v.unit = L.p.unit;
  v.block = L.p.block;
  v.index_bits = L.p.index_bits;
  v.n_sink = L.p.n_sink;
  v.sink_cap = std::max<int64_t>(1, std::min<int64_t>(L.p.n_sink, c.capacity));
  v.ring_cap = std::min<int64_t>(c.capacity, L.p.window + max_chunk_);
  v.unit_cap = c.capacity / L.p.unit + 1;
  v.block_cap = c.capacity / L.p.block + 1;
  const kv::ColdLayout& cold = H.cold_layout();
  v.cold_bits = cold.bits;
  v.cold_v_group = cold.v_group;
  v.cold_k_bytes = static_cast<int64_t>(cold.k_bytes);
  v.cold_head_bytes = static_cast<int64_t>(cold.head_bytes());
  ASSIGN_OR_RETURN(L.sink_k, Alloc(Sz(nkv * v.sink_cap, d) * 2));
  ASSIGN_OR_RETURN(L.sink_v, Alloc(Sz(nkv * v.sink_cap, d) * 2));
  ASSIGN_OR_RETURN(L.sink_k_pre, Alloc(Sz(nkv * v.sink_cap, d) * 4));
  ASSIGN_OR_RETURN(L.ring_k, Alloc(Sz(nkv * v.ring_cap, d) * 2));
  ASSIGN_OR_RETURN(L.ring_v, Alloc(Sz(nkv * v.ring_cap, d) * 2));
  ASSIGN_OR_RETURN(L.env, Alloc(Sz(nkv * v.unit_cap, H.env_bytes())));
  ASSIGN_OR_RETURN(L.meta, Alloc(Sz(nkv, v.unit_cap) * 4));
  if (L.p.summary > 0) {
    ASSIGN_OR_RETURN(L.sum_k, Alloc(Sz(nkv * v.block_cap, d) * 2));
    ASSIGN_OR_RETURN(L.sum_v, Alloc(Sz(nkv * v.block_cap, d) * 2));
  }
  ASSIGN_OR_RETURN(L.cold_table, Alloc(Sz(v.block_cap, sizeof(void*))));
  v.sink_k = L.sink_k.as<uint16_t>();
  v.sink_v = L.sink_v.as<uint16_t>();
  v.sink_k_pre = L.sink_k_pre.as<float>();
  v.ring_k = L.ring_k.as<uint16_t>();
  v.ring_v = L.ring_v.as<uint16_t>();
  v.env = L.env.as<int8_t>();
  v.meta = L.meta.as<uint32_t>();
  v.sum_k = L.p.summary > 0 ? L.sum_k.as<uint16_t>() : nullptr;
  v.sum_v = L.p.summary > 0 ? L.sum_v.as<uint16_t>() : nullptr;
  v.cold = L.cold_table.as<const uint8_t*>();
  L.cold_ptrs.assign(static_cast<size_t>(v.block_cap), nullptr);
  L.slab_blocks = std::max<int64_t>(1, static_cast<int64_t>(kSlabBytes / std::max<size_t>(1, H.block_payload_bytes())));
  return base::Status::Ok();
}

base::Status DeviceTieredKv::InitScratch() {
  const AttentionCacheConfig& c = host_->config();
  const int d = c.head_dim, nkv = c.n_head_kv, group = c.n_head / c.n_head_kv;
  int64_t units = 1, sel = 1, shortlist = 1, rows = 1, sinks = 1, blocks = 1, ring = 1;
  for (const Layer& L : layers_) {
    const TieredParams& p = L.p;
    units = std::max(units, L.view.unit_cap);
    const int64_t k = std::min<int64_t>(Sz(p.top_k, p.prefill_scale), L.view.unit_cap);
    sel = std::max(sel, k);
    shortlist = std::max(shortlist, std::min<int64_t>(Sz(std::max(p.rerank, 1), k), L.view.unit_cap));
    rows = std::max(rows, std::min<int64_t>(Sz(k, p.unit), c.capacity));
    sinks = std::max(sinks, L.view.sink_cap);
    blocks = std::max(blocks, L.view.block_cap);
    ring = std::max(ring, L.view.ring_cap);
  }
  auto take = [&](size_t bytes) -> base::Result<void*> {
    ASSIGN_OR_RETURN(DeviceBuffer b, Alloc(bytes));
    void* p = b.get();
    scratch_buffers_.push_back(std::move(b));
    return p;
  };
  kernels::TieredScratch& s = scratch_;
  s.reps_cap = group * (kernels::kTieredChunkSamples + 1);
  ASSIGN_OR_RETURN(void* reps_f, take(Sz(nkv * s.reps_cap, d) * 4));
  ASSIGN_OR_RETURN(void* reps_q, take(Sz(nkv * s.reps_cap, 2 * d)));
  ASSIGN_OR_RETURN(void* reps_step, take(Sz(nkv, s.reps_cap) * 4));
  ASSIGN_OR_RETURN(void* reps_qsum, take(Sz(nkv, s.reps_cap) * 4));
  s.units_cap = units;
  ASSIGN_OR_RETURN(void* scores, take(Sz(nkv, units) * 4));
  s.short_cap = shortlist;
  ASSIGN_OR_RETURN(void* short_units, take(Sz(nkv, shortlist) * 4));
  ASSIGN_OR_RETURN(void* short_scores, take(Sz(nkv, shortlist) * 4));
  s.sel_cap = sel;
  ASSIGN_OR_RETURN(void* sel_units, take(Sz(nkv, sel) * 4));
  ASSIGN_OR_RETURN(void* sel_count, take(Sz(nkv, 1) * 4));
  ASSIGN_OR_RETURN(void* row_offset, take(Sz(nkv, sel + 1) * 4));
  s.rows_cap = rows;
  ASSIGN_OR_RETURN(void* sel_k, take(Sz(nkv * rows, d) * 4));
  ASSIGN_OR_RETURN(void* sel_v, take(Sz(nkv * rows, d) * 4));
  ASSIGN_OR_RETURN(void* sel_pos, take(Sz(nkv, rows) * 4));
  ASSIGN_OR_RETURN(void* cap_sink, take(Sz(nkv * sinks, d) * 4));
  ASSIGN_OR_RETURN(void* sum_count, take(Sz(nkv, blocks) * 4));
  s.reps_f = static_cast<float*>(reps_f);
  s.reps_q = static_cast<uint8_t*>(reps_q);
  s.reps_step = static_cast<float*>(reps_step);
  s.reps_qsum = static_cast<int32_t*>(reps_qsum);
  s.scores = static_cast<float*>(scores);
  s.short_units = static_cast<int32_t*>(short_units);
  s.short_scores = static_cast<float*>(short_scores);
  s.sel_units = static_cast<int32_t*>(sel_units);
  s.sel_count = static_cast<int32_t*>(sel_count);
  s.row_offset = static_cast<int32_t*>(row_offset);
  s.sel_k = static_cast<float*>(sel_k);
  s.sel_v = static_cast<float*>(sel_v);
  s.sel_pos = static_cast<int32_t*>(sel_pos);
  s.cap_sink_k = static_cast<float*>(cap_sink);
  s.sum_count = static_cast<int32_t*>(sum_count);
  ring_stage_.resize(Sz(nkv * ring, d));
  return base::Status::Ok();
}

base::Status DeviceTieredKv::Store(const KvChunk& chunk) {
  const AttentionCacheConfig& c = host_->config();
  if (chunk.layer < 0 || chunk.layer >= c.n_layer) {
    return base::InvalidArgument("tiered KV cache on CUDA: no layer " + std::to_string(chunk.layer));
  }
  Layer& L = layers_[static_cast<size_t>(chunk.layer)];
  if (chunk.first_pos != L.n) {
    return base::FailedPrecondition("tiered KV cache on CUDA: layer " + std::to_string(chunk.layer) + " holds " +
                                    std::to_string(L.n) + " positions; got first_pos " +
                                    std::to_string(chunk.first_pos));
  }
  if (chunk.n_tokens < 0 || chunk.n_tokens > max_chunk_ || chunk.n_tokens > c.capacity - L.n) {
    return base::OutOfRange("tiered KV cache on CUDA: a chunk of " + std::to_string(chunk.n_tokens) +
                            " tokens (at most " + std::to_string(max_chunk_) + ", capacity " +
                            std::to_string(c.capacity) + ")");
  }
  if (chunk.n_tokens == 0) return base::Status::Ok();
  if (chunk.k == nullptr || chunk.v == nullptr || chunk.k_pre_rope == nullptr) {
    return base::InvalidArgument("tiered KV cache on CUDA needs post-RoPE K, V and pre-RoPE K");
  }
  kernels::TieredStoreArgs a;
  a.layer = L.view;
  a.first_pos = chunk.first_pos;
  a.n_tokens = chunk.n_tokens;
  a.k = chunk.k;
  a.v = chunk.v;
  a.k_pre = chunk.k_pre_rope;
  RETURN_IF_ERROR(kernels::TieredStore(*gpu_, a));
  L.n += chunk.n_tokens;
  L.ring_lo = std::max(L.ring_lo, L.n - L.view.ring_cap);
  return base::Status::Ok();
}

// The CPU cache's plan (kv::PlanChunk) over the mirrored blocks, plus what
// the device kernels size their work by.
kernels::TieredPlan DeviceTieredKv::PlanFor(const Layer& L, const AttentionBatch& b) const {
  const TieredParams& p = L.p;
  const kv::ChunkPlan chunk =
      kv::PlanChunk(p, b.first_pos, b.n_tokens, L.n_blocks * (p.block / p.unit), host_->far_distance_cap());
  kernels::TieredPlan plan;
  plan.first_pos = chunk.first_pos;
  plan.n_tokens = chunk.n_tokens;
  plan.window = chunk.window;
  plan.far_end = chunk.far_end;
  plan.unit_lo = chunk.unit_lo;
  plan.unit_hi = chunk.unit_hi;
  plan.capped = chunk.capped;
  plan.anchor = chunk.anchor;
  const int64_t n_cand = std::max<int64_t>(0, plan.unit_hi - plan.unit_lo);
  // k >= the candidates selects them all; clamped, k also fits the scratch
  // when top_k exceeds the capacity in units.
  plan.top_k = std::min(chunk.top_k, n_cand);
  plan.shortlist = std::min(chunk.shortlist, n_cand);
  plan.n_sink_rows = std::min<int64_t>(p.n_sink, L.n);
  plan.ring_lo = L.ring_lo;
  if (p.summary > 0 && !plan.capped) {
    const int64_t far_all = std::max<int64_t>(0, b.first_pos + 1 - p.window);
    plan.sum_lo = (p.n_sink + p.block - 1) / p.block;
    plan.sum_hi = std::max(plan.sum_lo, std::min(far_all / p.block, L.n_blocks));
  }
  const int64_t last = b.first_pos + b.n_tokens - 1;
  const int64_t win_lo = std::max({static_cast<int64_t>(p.n_sink), b.first_pos + 1 - p.window, L.ring_lo});
  const int64_t sel_rows = std::min(std::min(plan.top_k, n_cand) * p.unit, std::max<int64_t>(0, plan.far_end - p.n_sink));
  plan.max_rows = std::min<int64_t>(p.n_sink, last + 1) + std::max<int64_t>(0, last + 1 - win_lo) + sel_rows +
                  (plan.sum_hi - plan.sum_lo);
  return plan;
}

base::Status DeviceTieredKv::Attend(const AttentionBatch& b) {
  const AttentionCacheConfig& c = host_->config();
  if (b.layer < 0 || b.layer >= c.n_layer) {
    return base::InvalidArgument("tiered KV cache on CUDA: no layer " + std::to_string(b.layer));
  }
  if (b.n_tokens <= 0) return base::Status::Ok();
  const Layer& L = layers_[static_cast<size_t>(b.layer)];
  if (b.first_pos < 0 || b.first_pos + b.n_tokens > L.n || b.n_tokens > max_chunk_) {
    return base::InvalidArgument("tiered KV cache on CUDA: attend at positions " + std::to_string(b.first_pos) +
                                 ".." + std::to_string(b.first_pos + b.n_tokens - 1) + " but layer " +
                                 std::to_string(b.layer) + " holds " + std::to_string(L.n) + " (chunks of at most " +
                                 std::to_string(max_chunk_) + ")");
  }
  kernels::TieredAttendArgs a;
  a.layer = L.view;
  a.rope = rope_;
  a.plan = PlanFor(L, b);
  a.scratch = scratch_;
  a.n_head = c.n_head;
  a.q = b.q;
  a.out = b.out;
  return kernels::TieredAttend(*gpu_, a);
}

base::Status DeviceTieredKv::UploadBlocks(int l, int64_t b0, int64_t b1) {
  if (b1 <= b0) return base::Status::Ok();
  const kv::LayerStore& H = host_->layer(l);
  Layer& L = layers_[static_cast<size_t>(l)];
  const kernels::TieredLayerView& v = L.view;
  const int d = v.head_dim, upb = L.p.block / L.p.unit, eb = H.env_bytes();
  for (int g = 0; g < v.n_head_kv; ++g) {
    const int64_t u0 = b0 * upb, nu = (b1 - b0) * upb;
    RETURN_IF_ERROR(gpu_->CopyToDevice(v.env + Sz(g * v.unit_cap + u0, eb), H.env(g) + Sz(u0, eb), Sz(nu, eb)));
    RETURN_IF_ERROR(gpu_->CopyToDevice(v.meta + g * v.unit_cap + u0, H.meta(g) + u0, Sz(nu, 4)));
    if (L.p.summary > 0) {
      const size_t at = Sz(g * v.block_cap + b0, d);
      RETURN_IF_ERROR(gpu_->CopyToDevice(v.sum_k + at, H.summary_k(g) + Sz(b0, d), Sz(b1 - b0, d) * 2));
      RETURN_IF_ERROR(gpu_->CopyToDevice(v.sum_v + at, H.summary_v(g) + Sz(b0, d), Sz(b1 - b0, d) * 2));
    }
  }
  const size_t bytes = H.block_payload_bytes();
  for (int64_t blk = b0; blk < b1; ++blk) {
    const size_t slab = static_cast<size_t>(blk / L.slab_blocks);
    if (L.slabs.size() <= slab) L.slabs.resize(slab + 1);
    if (L.slabs[slab].get() == nullptr) {
      ASSIGN_OR_RETURN(L.slabs[slab], gpu_->AllocPinned(Sz(L.slab_blocks, 1) * bytes));
    }
    uint8_t* dst = L.slabs[slab].as<uint8_t>() + Sz(blk % L.slab_blocks, 1) * bytes;
    std::memcpy(dst, H.cold_block(blk), bytes);  // a bad restored payload reads as zeros, as on the host
    L.cold_ptrs[static_cast<size_t>(blk)] = dst;  // mapped: the host address is the device address
  }
  RETURN_IF_ERROR(gpu_->CopyToDevice(L.cold_table.as<const uint8_t*>() + b0, L.cold_ptrs.data() + b0,
                                     Sz(b1 - b0, sizeof(void*))));
  L.n_blocks = b1;
  return base::Status::Ok();
}

base::Status DeviceTieredKv::AfterHostStore() {
  host_->EnsureIndexes();
  for (int l = 0; l < static_cast<int>(layers_.size()); ++l) {
    const int64_t nb = host_->layer(l).n_closed_blocks();
    Layer& L = layers_[static_cast<size_t>(l)];
    if (nb < L.n_blocks) {
      return base::FailedPrecondition("tiered KV cache on CUDA: the host cache dropped blocks (truncate or "
                                      "restore); call Reload first");
    }
    RETURN_IF_ERROR(UploadBlocks(l, L.n_blocks, nb));
  }
  return base::Status::Ok();
}

// keep_blocks: the mirrored closed blocks the host still holds are kept
// (they are immutable until truncated away), so a Truncate costs the live
// tiers, not the whole history.
base::Status DeviceTieredKv::Mirror(bool keep_blocks) {
  // Kernels still in flight may read pinned payloads rewritten below.
  RETURN_IF_ERROR(gpu_->Synchronize());
  host_->EnsureIndexes();
  const int d = host_->config().head_dim;
  for (int l = 0; l < static_cast<int>(layers_.size()); ++l) {
    const kv::LayerStore& H = host_->layer(l);
    Layer& L = layers_[static_cast<size_t>(l)];
    const kernels::TieredLayerView& v = L.view;
    const int64_t n = H.n_positions();
    const int64_t host_sinks = std::min<int64_t>(L.p.n_sink, host_->config().capacity);
    for (int g = 0; g < v.n_head_kv; ++g) {
      const size_t at = Sz(g * v.sink_cap, d), len = Sz(host_sinks, d);
      if (len == 0) break;
      RETURN_IF_ERROR(gpu_->CopyToDevice(v.sink_k + at, H.sink_k(g), len * 2));
      RETURN_IF_ERROR(gpu_->CopyToDevice(v.sink_v + at, H.sink_v(g), len * 2));
      RETURN_IF_ERROR(gpu_->CopyToDevice(v.sink_k_pre + at, H.sink_k_pre(g), len * 4));
    }
    const int64_t lo = std::max({int64_t{0}, H.ring_lo(), n - v.ring_cap});
    for (int g = 0; g < v.n_head_kv; ++g) {
      for (int64_t pos = lo; pos < n; ++pos) {
        std::memcpy(&ring_stage_[Sz(g * v.ring_cap + pos % v.ring_cap, d)],
                    H.ring_k(g) + Sz(pos % H.ring_capacity(), d), Sz(d, 2));
      }
    }
    RETURN_IF_ERROR(gpu_->CopyToDevice(v.ring_k, ring_stage_.data(), Sz(v.n_head_kv * v.ring_cap, d) * 2));
    for (int g = 0; g < v.n_head_kv; ++g) {
      for (int64_t pos = lo; pos < n; ++pos) {
        std::memcpy(&ring_stage_[Sz(g * v.ring_cap + pos % v.ring_cap, d)],
                    H.ring_v(g) + Sz(pos % H.ring_capacity(), d), Sz(d, 2));
      }
    }
    RETURN_IF_ERROR(gpu_->CopyToDevice(v.ring_v, ring_stage_.data(), Sz(v.n_head_kv * v.ring_cap, d) * 2));
    L.n = n;
    L.ring_lo = lo;
    L.n_blocks = keep_blocks ? std::min(L.n_blocks, H.n_closed_blocks()) : 0;
    RETURN_IF_ERROR(UploadBlocks(l, L.n_blocks, H.n_closed_blocks()));
  }
  // The staging copies above are pageable: done once CopyToDevice returns.
  return base::Status::Ok();
}

}  // namespace

base::Result<std::unique_ptr<DeviceKv>> NewDeviceTieredKv(kernels::Gpu* gpu, std::unique_ptr<kv::TieredCache> host) {
  if (gpu == nullptr || host == nullptr) return base::InvalidArgument("NewDeviceTieredKv: null gpu or host cache");
  auto kv = std::make_unique<DeviceTieredKv>(gpu, std::move(host));
  RETURN_IF_ERROR(kv->Init());
  return std::unique_ptr<DeviceKv>(std::move(kv));
}

}  // namespace engine::cuda
