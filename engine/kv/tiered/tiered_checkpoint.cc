// TieredCache's checkpoint half: closed blocks in block_format.h's format,
// and a live state that wraps each layer's (LayerStore::ExportLive).
#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "engine/kv/tiered/block_format.h"
#include "engine/kv/tiered/tiered_cache.h"

namespace engine::kv {
namespace {

constexpr char kLiveMagic[8] = {'L', 'H', 'K', 'V', 'T', 'L', 'V', '1'};

}  // namespace

int64_t TieredCache::block_tokens() const { return layers_.front()->geometry().params.block; }

int64_t TieredCache::n_closed_blocks(int layer) const {
  return layers_[static_cast<size_t>(layer)]->n_closed_blocks();
}

void TieredCache::ExportBlock(int layer, int64_t index, KvBlock* out) const {
  // Const to callers, but the owner's call (tiered_cache.h's threading
  // contract): it may finish a restore's deferred index first.
  layers_[static_cast<size_t>(layer)]->EnsureIndex();
  ExportClosedBlock(*layers_[static_cast<size_t>(layer)], index, out);
}

base::Status TieredCache::fault() const {
  for (const auto& L : layers_) RETURN_IF_ERROR(L->fault());
  return base::Status::Ok();
}

// Layout: magic, i32 n_layer, i64 far-distance cap, i64 n_positions, then
// each layer's live state.
void TieredCache::ExportLive(std::string* out) const {
  out->clear();
  StateWriter w(out);
  w.PutArray(kLiveMagic, 8);
  w.Put<int32_t>(config_.n_layer);
  w.Put<int64_t>(cap_);
  w.Put<int64_t>(n_positions_);
  for (const auto& L : layers_) L->ExportLive(&w);
}

base::Status TieredCache::Restore(std::string_view live, const KvBlockFetcher& fetch) {
  for (auto& L : layers_) L->Clear();
  n_positions_ = 0;
  auto status = [&]() -> base::Status {
    StateReader r(live, "tiered KV live state");
    char magic[8];
    RETURN_IF_ERROR(r.GetArray("magic", magic, 8));
    if (std::memcmp(magic, kLiveMagic, 8) != 0) return r.Bad("magic", "not a tiered KV live state of this version");
    int32_t n_layer = 0;
    int64_t cap = 0, n = 0;
    constexpr int64_t kFetchBatch = 4096;
    std::vector<KvBlockView> batch(static_cast<size_t>(kFetchBatch));
    RETURN_IF_ERROR(r.Get("n_layer", &n_layer));
    RETURN_IF_ERROR(r.Get("far_distance_cap", &cap));
    RETURN_IF_ERROR(r.Get("n_positions", &n));
    if (n_layer != config_.n_layer) {
      return r.Bad("n_layer", std::to_string(n_layer) + " layers, the model has " + std::to_string(config_.n_layer));
    }
    if (cap != cap_) {
      return r.Bad("far_distance_cap", std::to_string(cap) + ", this context uses " + std::to_string(cap_));
    }
    for (int l = 0; l < config_.n_layer; ++l) {
      LayerStore& L = *layers_[static_cast<size_t>(l)];
      RETURN_IF_ERROR(L.RestoreLive(&r));
      if (L.n_positions() != n) return r.Bad("n_positions", "layer " + std::to_string(l) + " disagrees");
      const int64_t n_blocks = n / L.geometry().params.block;
      for (int64_t first = 0; first < n_blocks; first += kFetchBatch) {
        const auto count = static_cast<size_t>(std::min(kFetchBatch, n_blocks - first));
        const std::span<KvBlockView> views(batch.data(), count);
        RETURN_IF_ERROR(fetch(l, first, views));
        for (size_t k = 0; k < count; ++k) {
          RETURN_IF_ERROR(L.RestoreBlock(first + static_cast<int64_t>(k), views[k]));
          views[k] = {};  // drop its hold on the bytes now, not at the next batch
        }
      }
    }
    if (r.remaining() != 0) return r.Bad("end", std::to_string(r.remaining()) + " trailing bytes");
    n_positions_ = n;
    return base::Status::Ok();
  }();
  if (!status.ok()) {
    for (auto& L : layers_) L->Clear();
  }
  return status;
}

}  // namespace engine::kv
