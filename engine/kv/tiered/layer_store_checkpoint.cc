// LayerStore's checkpoint half: the live state (position, ring, sinks, open
// block) and the import of closed blocks written by ExportClosedBlock.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/hash.h"
#include "engine/kv/tiered/block_format.h"
#include "engine/kv/tiered/layer_store.h"

namespace engine::kv {
namespace {

size_t Sz(int64_t a, int64_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

// The parameters a layer's bytes depend on, in a fixed order.
std::array<int32_t, 10> ParamsArray(const TieredParams& p) {
  return {p.n_sink, p.window, p.unit, p.block, p.top_k, p.rerank, p.prefill_scale, p.summary, p.bits, p.index_bits};
}

}  // namespace

// Layout: i32 params[10], i32 n_head_kv, i32 head_dim, i64 n, ring_cap,
// ring_lo; per head: sinks [min(n, n_sink)] (K f16, V f16, pre-RoPE K f32),
// ring rows of positions [ring_lo, n) in order (K f16, V f16), open block
// rows [n % block] (pre-RoPE K, K, V f32).
void LayerStore::ExportLive(StateWriter* w) const {
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim;
  for (int32_t v : ParamsArray(p)) w->Put(v);
  w->Put<int32_t>(geo_.n_head_kv);
  w->Put<int32_t>(d);
  w->Put<int64_t>(n_);
  w->Put<int64_t>(ring_cap_);
  w->Put<int64_t>(ring_lo_);
  const int64_t n_sink = std::min<int64_t>(n_, p.n_sink);
  const int64_t open = n_ % p.block;
  for (const Head& h : heads_) {
    w->PutArray(h.sink_k.data(), Sz(n_sink, d));
    w->PutArray(h.sink_v.data(), Sz(n_sink, d));
    w->PutArray(h.sink_k_pre.data(), Sz(n_sink, d));
    for (int64_t pos = ring_lo_; pos < n_; ++pos) {
      w->PutArray(&h.ring_k[Sz(pos % ring_cap_, d)], static_cast<size_t>(d));
      w->PutArray(&h.ring_v[Sz(pos % ring_cap_, d)], static_cast<size_t>(d));
    }
    w->PutArray(h.stage_k_pre.data(), Sz(open, d));
    w->PutArray(h.stage_k.data(), Sz(open, d));
    w->PutArray(h.stage_v.data(), Sz(open, d));
  }
}

base::Status LayerStore::RestoreLive(StateReader* r) {
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim;
  std::array<int32_t, 10> params{};
  RETURN_IF_ERROR(r->GetArray("params", params.data(), params.size()));
  if (params != ParamsArray(p)) return r->Bad("params", "the checkpoint's tiered parameters differ from the policy's");
  int32_t heads = 0, dim = 0;
  RETURN_IF_ERROR(r->Get("n_head_kv", &heads));
  RETURN_IF_ERROR(r->Get("head_dim", &dim));
  if (heads != geo_.n_head_kv || dim != d) {
    return r->Bad("geometry", std::to_string(heads) + " KV heads of dim " + std::to_string(dim) + ", the model has " +
                                  std::to_string(geo_.n_head_kv) + " of dim " + std::to_string(d));
  }
  int64_t n = 0, ring_cap = 0, ring_lo = 0;
  RETURN_IF_ERROR(r->Get("n_positions", &n));
  RETURN_IF_ERROR(r->Get("ring_capacity", &ring_cap));
  RETURN_IF_ERROR(r->Get("ring_lo", &ring_lo));
  if (n < 0 || n > geo_.capacity) return r->Bad("n_positions", std::to_string(n) + " does not fit the cache");
  if (ring_cap < std::min<int64_t>(p.window, geo_.capacity) || ring_cap > geo_.capacity) {
    return r->Bad("ring_capacity", std::to_string(ring_cap) + " is out of range");
  }
  if (ring_lo < std::max<int64_t>(0, n - ring_cap) || ring_lo > n || ring_lo > std::max<int64_t>(0, n - p.window)) {
    return r->Bad("ring_lo", std::to_string(ring_lo) + " is out of range for " + std::to_string(n) + " positions");
  }
  EnsureRing(ring_cap);
  if (ring_cap_ != ring_cap) return r->Bad("ring_capacity", "the ring already holds " + std::to_string(ring_cap_));
  const int64_t n_sink = std::min<int64_t>(n, p.n_sink);
  const int64_t open = n % p.block;
  for (Head& h : heads_) {
    RETURN_IF_ERROR(r->GetArray("sink keys", h.sink_k.data(), Sz(n_sink, d)));
    RETURN_IF_ERROR(r->GetArray("sink values", h.sink_v.data(), Sz(n_sink, d)));
    RETURN_IF_ERROR(r->GetArray("sink pre-RoPE keys", h.sink_k_pre.data(), Sz(n_sink, d)));
    for (int64_t pos = ring_lo; pos < n; ++pos) {
      RETURN_IF_ERROR(r->GetArray("ring keys", &h.ring_k[Sz(pos % ring_cap_, d)], static_cast<size_t>(d)));
      RETURN_IF_ERROR(r->GetArray("ring values", &h.ring_v[Sz(pos % ring_cap_, d)], static_cast<size_t>(d)));
    }
    RETURN_IF_ERROR(r->GetArray("open block pre-RoPE keys", h.stage_k_pre.data(), Sz(open, d)));
    RETURN_IF_ERROR(r->GetArray("open block keys", h.stage_k.data(), Sz(open, d)));
    RETURN_IF_ERROR(r->GetArray("open block values", h.stage_v.data(), Sz(open, d)));
  }
  n_ = n;
  ring_lo_ = ring_lo;
  // RestoreBlock appends n / block blocks next: grow each table once.
  const size_t blocks = static_cast<size_t>(n / p.block);
  const size_t units = blocks * static_cast<size_t>(units_per_block_);
  for (Head& h : heads_) {
    h.meta.reserve(units);
    h.env.reserve(units * static_cast<size_t>(env_bytes()));
    if (p.summary > 0) {
      h.sum_k.reserve(blocks * static_cast<size_t>(d));
      h.sum_v.reserve(blocks * static_cast<size_t>(d));
    }
  }
  block_payload_.reserve(blocks);
  pending_hot_.reserve(blocks);
  return base::Status::Ok();
}

base::Status LayerStore::RestoreBlock(int64_t index, const KvBlockView& block) {
  const TieredParams& p = geo_.params;
  // Built only on failure: a million-token restore calls this per block.
  const auto where = [&] {
    return "KV block (layer " + std::to_string(geo_.layer) + ", block " + std::to_string(index) + ")";
  };
  if (index != n_closed_blocks() || (index + 1) * p.block > n_) {
    return base::Corruption(where() + ": out of order or beyond the live state's " + std::to_string(n_) + " positions");
  }
  if (block.hot.size() != ClosedBlockHotBytes(*this) || block.cold.size() != block_payload_bytes()) {
    return base::Corruption(where() + ": " + std::to_string(block.hot.size()) + " + " +
                            std::to_string(block.cold.size()) + " bytes, this layer's blocks have " +
                            std::to_string(ClosedBlockHotBytes(*this)) + " + " +
                            std::to_string(block_payload_bytes()));
  }
  const size_t i = static_cast<size_t>(index);
  if (block.keep_alive == nullptr) {
    // Nobody keeps the bytes: use them now, in order after any deferred
    // blocks, and check the cold part while it is in cache anyway.
    EnsureIndex();
    RETURN_IF_ERROR(LoadHot(index, {block.hot.data(), block.hot_crc.value_or(0), block.hot_crc.has_value()})
                        .WithContext(where()));
    if (base::Crc32c(block.cold.data(), block.cold.size()) != block.cold_crc) {
      return base::Corruption(where() + ": its cold payload fails its CRC32C; the bytes were not used");
    }
    uint8_t* slot = SlotForBlock(index);
    std::memcpy(slot, block.cold.data(), block.cold.size());
    block_payload_.push_back(slot);
    return base::Status::Ok();
  }
  // In place, both parts: the hot part is checked and copied into the index
  // on the layer's first use (EnsureIndex), the cold part on first read
  // (cold_block), so a resume costs neither.
  if (keep_alive_.empty() || keep_alive_.back() != block.keep_alive) keep_alive_.push_back(block.keep_alive);
  pending_hot_.push_back({block.hot.data(), block.hot_crc.value_or(0), block.hot_crc.has_value()});
  cold_crc_[i] = block.cold_crc;
  cold_state_[i].store(kColdPending, std::memory_order_release);
  block_payload_.push_back(reinterpret_cast<const uint8_t*>(block.cold.data()));
  return base::Status::Ok();
}

void LayerStore::EnsureIndex() {
  if (pending_hot_.empty()) return;
  const int64_t first = n_closed_blocks() - static_cast<int64_t>(pending_hot_.size());
  for (size_t k = 0; k < pending_hot_.size(); ++k) {
    const int64_t index = first + static_cast<int64_t>(k);
    base::Status s = LoadHot(index, pending_hot_[k]);
    if (s.ok()) continue;
    // The block's units stay zero (LoadHot grew the tables first), and
    // fault() fails the Eval that asked for them.
    std::lock_guard<std::mutex> lock(fault_mu_);
    if (fault_.ok()) {
      fault_ = s.WithContext("KV block (layer " + std::to_string(geo_.layer) + ", block " + std::to_string(index) +
                             ") of the restored checkpoint; its bytes were not used");
    }
  }
  pending_hot_.clear();
}

// Appends block `index`'s units (and summary rows) to the index from its
// hot part. The tables grow first, so a failure leaves zeros, not a gap.
base::Status LayerStore::LoadHot(int64_t index, const PendingHot& block) {
  const TieredParams& p = geo_.params;
  const int d = geo_.head_dim;
  const int eb = env_bytes();
  const size_t unit0 = static_cast<size_t>(index) * static_cast<size_t>(units_per_block_);
  for (Head& head : heads_) {
    head.env.resize(head.env.size() + Sz(units_per_block_, eb));
    head.meta.resize(head.meta.size() + static_cast<size_t>(units_per_block_));
    if (p.summary > 0) {
      head.sum_k.resize(head.sum_k.size() + static_cast<size_t>(d));
      head.sum_v.resize(head.sum_v.size() + static_cast<size_t>(d));
    }
  }
  const std::span<const uint8_t> hot(reinterpret_cast<const uint8_t*>(block.hot), ClosedBlockHotBytes(*this));
  if (block.check_crc) {
    const uint32_t crc = base::Crc32c(hot.data(), hot.size());
    if (crc != block.crc) {
      char hex[40];
      std::snprintf(hex, sizeof hex, "%08x, bytes give %08x", block.crc, crc);
      return base::Corruption(std::string("its hot part fails its CRC32C (checkpoint says ") + hex + ")");
    }
  }
  auto parsed = ParseClosedBlock(hot, block_payload_bytes());
  if (!parsed.ok()) return parsed.status();
  const ClosedBlockHeader& h = *parsed;
  const bool matches = h.layer == geo_.layer && h.head_dim == d && h.first_pos == index * p.block &&
                       h.tokens == p.block && h.unit == p.unit && h.n_head_kv == geo_.n_head_kv && h.bits == p.bits &&
                       h.index_bits == p.index_bits && h.has_summary == (p.summary > 0);
  if (!matches) return base::Corruption("its header does not match this layer's geometry and policy");
  const uint8_t* rd = hot.data() + kBlockHeaderBytes;
  for (Head& head : heads_) {
    for (int u = 0; u < units_per_block_; ++u) {
      const size_t unit = unit0 + static_cast<size_t>(u);
      std::memcpy(&head.meta[unit], rd, sizeof(UnitMeta));
      std::memcpy(&head.env[unit * static_cast<size_t>(eb)], rd + sizeof(UnitMeta), static_cast<size_t>(eb));
      rd += sizeof(UnitMeta) + static_cast<size_t>(eb);
    }
  }
  if (p.summary > 0) {
    const size_t at = static_cast<size_t>(index) * static_cast<size_t>(d);
    for (Head& head : heads_) {
      std::memcpy(&head.sum_k[at], rd, Sz(d, 2));
      std::memcpy(&head.sum_v[at], rd + Sz(d, 2), Sz(d, 2));
      rd += Sz(d, 4);
    }
  }
  return base::Status::Ok();
}

void LayerStore::Clear() {
  for (Head& h : heads_) {
    h.env.clear();
    h.meta.clear();
    h.sum_k.clear();
    h.sum_v.clear();
  }
  block_payload_.clear();
  pending_hot_.clear();
  keep_alive_.clear();
  {
    std::lock_guard<std::mutex> lock(fault_mu_);
    fault_ = base::Status::Ok();
  }
  n_ = 0;
  ring_lo_ = 0;
}

}  // namespace engine::kv
