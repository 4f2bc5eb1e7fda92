#include "engine/kv/tiered/block_format.h"

#include <cstring>

namespace engine::kv {
namespace {

constexpr char kMagic[8] = {'L', 'H', 'K', 'V', 'B', 'L', 'K', '2'};

template <typename T>
void Put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

size_t IndexBytesPerHead(int tokens, int unit, int d, int index_bits) {
  return static_cast<size_t>(tokens / unit) * (sizeof(UnitMeta) + static_cast<size_t>(EnvBytes(d, index_bits)));
}

}  // namespace

size_t ClosedBlockHeader::hot_bytes() const {
  const size_t heads = static_cast<size_t>(n_head_kv);
  return kBlockHeaderBytes + heads * IndexBytesPerHead(tokens, unit, head_dim, index_bits) +
         (has_summary ? heads * static_cast<size_t>(head_dim) * 4 : 0);
}

size_t ClosedBlockHeader::cold_bytes() const {
  return static_cast<size_t>(n_head_kv) * ColdLayout::For(tokens, head_dim, bits).head_bytes();
}

namespace {

ClosedBlockHeader HeaderOf(const LayerStore& layer) {
  const TieredParams& p = layer.geometry().params;
  return {0, layer.geometry().head_dim, 0, p.block, p.unit, layer.geometry().n_head_kv,
          p.bits, p.index_bits, p.summary > 0};
}

}  // namespace

size_t ClosedBlockHotBytes(const LayerStore& layer) { return HeaderOf(layer).hot_bytes(); }
size_t ClosedBlockColdBytes(const LayerStore& layer) { return HeaderOf(layer).cold_bytes(); }

void ExportClosedBlock(const LayerStore& layer, int64_t b, KvBlock* out) {
  const LayerGeometry& g = layer.geometry();
  const TieredParams& p = g.params;
  const int d = g.head_dim, upb = layer.units_per_block(), eb = layer.env_bytes();
  const size_t hot = ClosedBlockHotBytes(layer);
  out->bytes.assign(hot + layer.block_payload_bytes(), '\0');
  out->hot_bytes = hot;
  uint8_t* w = reinterpret_cast<uint8_t*>(out->bytes.data());
  std::memcpy(w, kMagic, 8);
  Put<uint32_t>(w + 8, static_cast<uint32_t>(g.layer));
  Put<uint32_t>(w + 12, static_cast<uint32_t>(d));
  Put<int64_t>(w + 16, b * p.block);
  Put<uint16_t>(w + 24, static_cast<uint16_t>(p.block));
  Put<uint16_t>(w + 26, static_cast<uint16_t>(p.unit));
  Put<uint16_t>(w + 28, static_cast<uint16_t>(g.n_head_kv));
  w[30] = static_cast<uint8_t>(p.bits);
  w[31] = static_cast<uint8_t>(p.index_bits);
  w[32] = p.summary > 0 ? 1 : 0;
  w += kBlockHeaderBytes;
  for (int h = 0; h < g.n_head_kv; ++h) {
    for (int u = 0; u < upb; ++u) {
      const int64_t unit = b * upb + u;
      std::memcpy(w, &layer.meta(h)[unit], sizeof(UnitMeta));
      std::memcpy(w + sizeof(UnitMeta), layer.env(h) + unit * eb, static_cast<size_t>(eb));
      w += sizeof(UnitMeta) + static_cast<size_t>(eb);
    }
  }
  if (p.summary > 0) {
    for (int h = 0; h < g.n_head_kv; ++h) {
      std::memcpy(w, layer.summary_k(h) + b * d, static_cast<size_t>(d) * 2);
      std::memcpy(w + static_cast<size_t>(d) * 2, layer.summary_v(h) + b * d, static_cast<size_t>(d) * 2);
      w += static_cast<size_t>(d) * 4;
    }
  }
  std::memcpy(w, layer.cold_block(b), layer.block_payload_bytes());
}

base::Result<ClosedBlockHeader> ParseClosedBlock(std::span<const uint8_t> hot, size_t cold_bytes) {
  if (hot.size() < kBlockHeaderBytes) {
    return base::Corruption("KV block: " + std::to_string(hot.size()) + " bytes, shorter than its header");
  }
  const uint8_t* r = hot.data();
  if (std::memcmp(r, kMagic, 8) != 0) return base::Corruption("KV block: bad magic or version");
  ClosedBlockHeader h;
  h.layer = static_cast<int>(Get<uint32_t>(r + 8));
  h.head_dim = static_cast<int>(Get<uint32_t>(r + 12));
  h.first_pos = Get<int64_t>(r + 16);
  h.tokens = Get<uint16_t>(r + 24);
  h.unit = Get<uint16_t>(r + 26);
  h.n_head_kv = Get<uint16_t>(r + 28);
  h.bits = r[30];
  h.index_bits = r[31];
  h.has_summary = r[32] != 0;
  const bool ok = h.layer >= 0 && h.head_dim > 0 && h.head_dim <= kMaxHeadDim && h.head_dim % 2 == 0 &&
                  h.first_pos >= 0 && h.tokens > 0 && h.unit > 0 && h.tokens % h.unit == 0 &&
                  h.first_pos % h.tokens == 0 && h.n_head_kv > 0 && (h.bits == 4 || h.bits == 16) &&
                  (h.index_bits == 4 || h.index_bits == 8) && r[32] <= 1;
  if (!ok) return base::Corruption("KV block: header fields out of range");
  for (size_t i = 33; i < kBlockHeaderBytes; ++i) {
    if (r[i] != 0) return base::Corruption("KV block: reserved header bytes are not zero");
  }
  if (hot.size() != h.hot_bytes() || cold_bytes != h.cold_bytes()) {
    return base::Corruption("KV block: " + std::to_string(hot.size()) + " hot and " + std::to_string(cold_bytes) +
                            " cold bytes, its header says " + std::to_string(h.hot_bytes()) + " and " +
                            std::to_string(h.cold_bytes()));
  }
  return h;
}

}  // namespace engine::kv
