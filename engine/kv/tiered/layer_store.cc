#include "engine/kv/tiered/layer_store.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/hash.h"
#include "engine/quant/fp16.h"

namespace engine::kv {
namespace {

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

// Ring slack beyond the window before the first chunk says otherwise: lets
// short rollbacks restore the window exactly.
constexpr int64_t kMinRingSlack = 256;
constexpr size_t kSlabBytes = size_t{4} << 20;

}  // namespace

LayerStore::LayerStore(const LayerGeometry& geometry, const RopeTable* rope) : geo_(geometry), rope_(rope) {
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim;
  cold_ = ColdLayout::For(p.block, d, p.bits);
  units_per_block_ = p.block / p.unit;
  slab_blocks_ = std::max<int64_t>(1, static_cast<int64_t>(kSlabBytes / std::max<size_t>(1, block_payload_bytes())));
  const int64_t max_blocks = geo_.capacity / p.block + 1;
  heads_.resize(static_cast<size_t>(geo_.n_head_kv));
  for (Head& h : heads_) {
    const int64_t n_sink = std::min<int64_t>(p.n_sink, geo_.capacity);
    h.sink_k.resize(Sz(n_sink, d));
    h.sink_v.resize(Sz(n_sink, d));
    h.sink_k_pre.resize(Sz(n_sink, d));
    h.stage_k_pre.resize(Sz(p.block, d));
    h.stage_k.resize(Sz(p.block, d));
    h.stage_v.resize(Sz(p.block, d));
    // Reserved, not touched: pages are committed only as blocks close.
    h.env.reserve(Sz(max_blocks * units_per_block_, EnvBytes(d, p.index_bits)));
    h.meta.reserve(Sz(max_blocks, units_per_block_));
    if (p.summary > 0) {
      h.sum_k.reserve(Sz(max_blocks, d));
      h.sum_v.reserve(Sz(max_blocks, d));
    }
  }
  block_payload_.reserve(static_cast<size_t>(max_blocks));
  cold_state_ = std::make_unique<std::atomic<uint8_t>[]>(static_cast<size_t>(max_blocks));
  cold_crc_ = std::make_unique<uint32_t[]>(static_cast<size_t>(max_blocks));
  zero_block_ = std::make_unique<uint8_t[]>(block_payload_bytes());
  EnsureRing(p.window + kMinRingSlack);
}

void LayerStore::EnsureRing(int64_t needed) {
  needed = std::min(needed, geo_.capacity);
  if (needed <= ring_cap_) return;
  const int d = geo_.head_dim;
  for (Head& h : heads_) {
    std::vector<uint16_t> k(Sz(needed, d)), v(Sz(needed, d));
    for (int64_t pos = ring_lo_; pos < n_; ++pos) {  // re-slot what the old ring held
      std::copy_n(&h.ring_k[Sz(pos % ring_cap_, d)], d, &k[Sz(pos % needed, d)]);
      std::copy_n(&h.ring_v[Sz(pos % ring_cap_, d)], d, &v[Sz(pos % needed, d)]);
    }
    h.ring_k.swap(k);
    h.ring_v.swap(v);
  }
  ring_cap_ = needed;
}

base::Status LayerStore::Append(const KvChunk& c) {
  EnsureIndex();
  if (c.first_pos != n_) {
    return base::FailedPrecondition("tiered KV cache layer " + std::to_string(geo_.layer) + " holds " +
                                    std::to_string(n_) + " positions; it appends only, got first_pos " +
                                    std::to_string(c.first_pos) + " (truncate first)");
  }
  if (c.n_tokens < 0 || c.n_tokens > geo_.capacity - n_) {
    return base::OutOfRange("KV cache holds " + std::to_string(geo_.capacity) + " positions; cannot store " +
                            std::to_string(c.n_tokens) + " more after " + std::to_string(n_));
  }
  if (c.n_tokens == 0) return base::Status::Ok();
  if (c.k == nullptr || c.v == nullptr || c.k_pre_rope == nullptr) {
    return base::InvalidArgument("tiered KV cache needs post-RoPE K, V and pre-RoPE K");
  }
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim, row = geo_.n_head_kv * d;
  EnsureRing(p.window + std::max(c.n_tokens, kMinRingSlack));
  for (int64_t t = 0; t < c.n_tokens; ++t) {
    const int64_t pos = n_ + t;
    const size_t slot = Sz(pos % ring_cap_, d);
    const size_t stage = Sz(pos % p.block, d);
    for (int g = 0; g < geo_.n_head_kv; ++g) {
      Head& h = heads_[static_cast<size_t>(g)];
      const float* k = c.k + t * row + g * d;           // [d] post-RoPE
      const float* kp = c.k_pre_rope + t * row + g * d;  // [d] pre-RoPE
      const float* v = c.v + t * row + g * d;           // [d]
      for (int i = 0; i < d; ++i) {
        h.ring_k[slot + i] = F32ToF16(k[i]);
        h.ring_v[slot + i] = F32ToF16(v[i]);
      }
      if (pos < p.n_sink) {
        std::copy_n(&h.ring_k[slot], d, &h.sink_k[Sz(pos, d)]);
        std::copy_n(&h.ring_v[slot], d, &h.sink_v[Sz(pos, d)]);
        std::copy_n(kp, d, &h.sink_k_pre[Sz(pos, d)]);
      }
      std::copy_n(kp, d, &h.stage_k_pre[stage]);
      std::copy_n(k, d, &h.stage_k[stage]);
      std::copy_n(v, d, &h.stage_v[stage]);
    }
    if ((pos + 1) % p.block == 0) CloseBlock();
  }
  n_ += c.n_tokens;
  ring_lo_ = std::max(ring_lo_, n_ - ring_cap_);
  return base::Status::Ok();
}

uint8_t* LayerStore::SlotForBlock(int64_t b) {
  // Only the slab that holds b is allocated: after a restore that left
  // blocks 0..b-1 in place, none of their slabs is ever needed.
  const size_t slab = static_cast<size_t>(b / slab_blocks_);
  if (slabs_.size() <= slab) slabs_.resize(slab + 1);
  if (!slabs_[slab]) slabs_[slab].reset(new uint8_t[Sz(slab_blocks_, 1) * block_payload_bytes()]);
  cold_state_[static_cast<size_t>(b)].store(kColdTrusted, std::memory_order_release);
  return slabs_[slab].get() + Sz(b % slab_blocks_, 1) * block_payload_bytes();
}

const uint8_t* LayerStore::CheckCold(int64_t b) const {
  const size_t i = static_cast<size_t>(b);
  uint8_t state = cold_state_[i].load(std::memory_order_acquire);
  if (state == kColdPending) {
    // Threads that race here compute the same answer; the bytes never change.
    const uint32_t crc = base::Crc32c(block_payload_[i], block_payload_bytes());
    state = crc == cold_crc_[i] ? kColdTrusted : kColdBad;
    if (state == kColdBad) {
      std::lock_guard<std::mutex> lock(fault_mu_);
      if (fault_.ok()) {
        char hex[40];
        std::snprintf(hex, sizeof hex, "%08x, bytes give %08x", cold_crc_[i], crc);
        fault_ = base::Corruption("KV block (layer " + std::to_string(geo_.layer) + ", block " + std::to_string(b) +
                                  "): its cold payload fails its CRC32C (checkpoint says " + hex +
                                  "): the stored checkpoint is corrupt; its bytes were not used");
      }
    }
    cold_state_[i].store(state, std::memory_order_release);
  }
  return state == kColdTrusted ? block_payload_[i] : zero_block_.get();
}

base::Status LayerStore::fault() const {
  std::lock_guard<std::mutex> lock(fault_mu_);
  return fault_;
}

void LayerStore::CloseBlock() {
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim;
  const int64_t b = n_closed_blocks();
  uint8_t* dst = SlotForBlock(b);
  for (int g = 0; g < geo_.n_head_kv; ++g) {
    Head& h = heads_[static_cast<size_t>(g)];
    EncodeColdHead(cold_, h.stage_k_pre.data(), h.stage_v.data(), dst + Sz(g, 1) * cold_.head_bytes());
    const size_t env0 = h.env.size();
    const int eb = env_bytes();
    h.env.resize(env0 + Sz(units_per_block_, eb));
    for (int u = 0; u < units_per_block_; ++u) {
      UnitMeta m;
      BuildEnvelope(&h.stage_k[Sz(u, p.unit * d)], p.unit, d, p.index_bits, &h.env[env0 + Sz(u, eb)], &m);
      h.meta.push_back(m);
    }
    if (p.summary > 0) {  // block means of post-RoPE K and of V
      for (int i = 0; i < d; ++i) {
        float sk = 0.0f, sv = 0.0f;
        for (int t = 0; t < p.block; ++t) {
          sk += h.stage_k[Sz(t, d) + i];
          sv += h.stage_v[Sz(t, d) + i];
        }
        h.sum_k.push_back(F32ToF16(sk / p.block));
        h.sum_v.push_back(F32ToF16(sv / p.block));
      }
    }
  }
  block_payload_.push_back(dst);
}

void LayerStore::ReadCold(int g, int64_t pos, float* k_post, float* k_pre, float* v) const {
  const TieredParams& p = geo_.params;
  const uint8_t* src = cold_block(pos / p.block) + Sz(g, 1) * cold_.head_bytes();
  DecodeColdRows(cold_, src, static_cast<int>(pos % p.block), 1, k_pre, v);
  float cs[kMaxHeadDim];
  rope_->Angles(pos, cs);
  std::copy_n(k_pre, geo_.head_dim, k_post);
  rope_->Apply(cs, k_post);
}

void LayerStore::Truncate(int64_t n) {
  EnsureIndex();
  n = std::max<int64_t>(0, n);
  if (n >= n_) return;
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim;
  const int64_t open_block = n / p.block;  // the block that position n falls in becomes the open one
  float k_post[kMaxHeadDim], k_pre[kMaxHeadDim], v[kMaxHeadDim], cs[kMaxHeadDim];
  for (int g = 0; g < geo_.n_head_kv; ++g) {
    Head& h = heads_[static_cast<size_t>(g)];
    // 1. Re-stage [open_block * block, n) if that block had closed.
    if (open_block < n_closed_blocks()) {
      for (int64_t pos = open_block * p.block; pos < n; ++pos) {
        const size_t stage = Sz(pos % p.block, d);
        if (pos >= ring_lo_) {  // exact up to fp16, from the ring
          const size_t slot = Sz(pos % ring_cap_, d);
          for (int i = 0; i < d; ++i) {
            k_post[i] = F16ToF32(h.ring_k[slot + i]);
            v[i] = F16ToF32(h.ring_v[slot + i]);
          }
          std::copy_n(k_post, d, k_pre);
          rope_->Angles(pos, cs);
          rope_->ApplyInverse(cs, k_pre);
        } else {
          ReadCold(g, pos, k_post, k_pre, v);
        }
        std::copy_n(k_pre, d, &h.stage_k_pre[stage]);
        std::copy_n(k_post, d, &h.stage_k[stage]);
        std::copy_n(v, d, &h.stage_v[stage]);
      }
    }
    // 2. Refill window positions the ring no longer holds (deep rollback).
    for (int64_t pos = std::max<int64_t>(0, n - p.window); pos < std::min(n, ring_lo_); ++pos) {
      ReadCold(g, pos, k_post, k_pre, v);
      const size_t slot = Sz(pos % ring_cap_, d);
      for (int i = 0; i < d; ++i) {
        h.ring_k[slot + i] = F32ToF16(k_post[i]);
        h.ring_v[slot + i] = F32ToF16(v[i]);
      }
    }
    // 3. Drop closed blocks from open_block on.
    const int64_t keep_blocks = std::min(open_block, n_closed_blocks());
    h.env.resize(Sz(keep_blocks * units_per_block_, env_bytes()));
    h.meta.resize(Sz(keep_blocks, units_per_block_));
    if (p.summary > 0) {
      h.sum_k.resize(Sz(keep_blocks, d));
      h.sum_v.resize(Sz(keep_blocks, d));
    }
  }
  ring_lo_ = std::min(ring_lo_, std::max<int64_t>(0, n - p.window));
  block_payload_.resize(static_cast<size_t>(std::min(open_block, n_closed_blocks())));
  n_ = n;
  if (block_payload_.empty()) {  // nothing restored in place is left
    keep_alive_.clear();
    std::lock_guard<std::mutex> lock(fault_mu_);
    fault_ = base::Status::Ok();
  }
}

LayerBytes LayerStore::bytes() const {
  LayerBytes b;
  for (const Head& h : heads_) {
    b.exact += (h.sink_k.size() + h.sink_v.size() + h.ring_k.size() + h.ring_v.size()) * 2 +
               h.sink_k_pre.size() * 4;
    b.staging += (h.stage_k_pre.size() + h.stage_k.size() + h.stage_v.size()) * 4;
    b.index += h.env.size() + h.meta.size() * sizeof(UnitMeta);
    b.summary += (h.sum_k.size() + h.sum_v.size()) * 2;
  }
  // Blocks whose index rows are still pending count as loaded: bytes()
  // describes the cache, not how far EnsureIndex has got.
  const size_t pending_units = pending_hot_.size() * static_cast<size_t>(units_per_block_) * heads_.size();
  b.index += pending_units * (static_cast<size_t>(env_bytes()) + sizeof(UnitMeta));
  if (geo_.params.summary > 0) b.summary += pending_hot_.size() * heads_.size() * static_cast<size_t>(geo_.head_dim) * 4;
  b.cold = block_payload_.size() * block_payload_bytes();
  return b;
}

}  // namespace engine::kv
