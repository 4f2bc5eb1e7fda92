// Context's checkpoint API (engine.h): closed KV blocks pass through from
// the cache; the live state wraps the cache's own with what the context
// adds (geometry, policy, logits) and a CRC32C over all of it.
#include <cstring>

#include "base/hash.h"
#include "engine/engine.h"
#include "engine/kv/attention_cache.h"
#include "engine/kv/state_io.h"
#include "engine/model/model.h"
#include "engine/model/forward_pass.h"

namespace engine {
namespace {

constexpr char kLiveMagic[8] = {'L', 'H', 'C', 'T', 'X', 'L', 'V', '1'};

// The geometry a live state is only valid for.
std::array<int32_t, 6> Geometry(const HParams& hp, KvType type) {
  return {hp.n_layer, hp.n_head, hp.n_head_kv, hp.head_dim, hp.n_vocab, static_cast<int32_t>(type)};
}

}  // namespace

std::string Context::kv_policy_text() const { return KvPolicyToString(options_.kv_policy); }

int64_t Context::kv_block_tokens() const { return forward_->cache().block_tokens(); }

int64_t Context::kv_closed_blocks(int layer) const {
  if (layer < 0 || layer >= forward_->cache().config().n_layer) return 0;
  return forward_->cache().n_closed_blocks(layer);
}

base::Result<KvBlock> Context::ExportKvBlock(int layer, int64_t index) const {
  const AttentionCache& cache = forward_->cache();
  if (layer < 0 || layer >= cache.config().n_layer || index < 0 || index >= cache.n_closed_blocks(layer)) {
    return base::OutOfRange("no closed KV block " + std::to_string(index) + " in layer " + std::to_string(layer));
  }
  KvBlock out;
  cache.ExportBlock(layer, index, &out);
  // A restored block's cold payload is checked as it is copied; bad bytes
  // must not travel on into another checkpoint.
  RETURN_IF_ERROR(cache.fault());
  return out;
}

// Layout: magic, policy text, i32 geometry[6], i64 n_past, f32 logits
// [n_vocab], the cache's live state (length-prefixed), u32 CRC32C of all
// bytes before it.
base::Result<std::string> Context::ExportKvLiveState() const {
  const HParams& hp = model_.loaded()->hparams();
  std::string out, cache_live;
  forward_->cache().ExportLive(&cache_live);
  kv::StateWriter w(&out);
  w.PutArray(kLiveMagic, 8);
  w.PutString(kv_policy_text());
  const auto geometry = Geometry(hp, options_.kv_type);
  w.PutArray(geometry.data(), geometry.size());
  w.Put<int64_t>(n_past());
  w.PutArray(logits().data(), logits().size());
  w.PutString(cache_live);
  w.Put<uint32_t>(base::Crc32c(out.data(), out.size()));
  return out;
}

base::Status Context::RestoreKv(std::string_view live_state, const KvBlockFetcher& fetch) {
  const HParams& hp = model_.loaded()->hparams();
  LogKvEdit(0);
  forward_->Truncate(0);
  if (live_state.size() < 4) return base::Corruption("KV live state: " + std::to_string(live_state.size()) + " bytes");
  uint32_t crc = 0;
  std::memcpy(&crc, live_state.data() + live_state.size() - 4, 4);
  const std::string_view body = live_state.substr(0, live_state.size() - 4);
  if (base::Crc32c(body.data(), body.size()) != crc) {
    return base::Corruption("KV live state: checksum mismatch (" + std::to_string(live_state.size()) +
                            " bytes; torn or corrupted)");
  }
  kv::StateReader r(body, "KV live state");
  char magic[8];
  RETURN_IF_ERROR(r.GetArray("magic", magic, 8));
  if (std::memcmp(magic, kLiveMagic, 8) != 0) return r.Bad("magic", "not a longhaul KV live state of this version");
  std::string policy;
  RETURN_IF_ERROR(r.GetString("policy", &policy));
  if (policy != kv_policy_text()) {
    return base::FailedPrecondition("KV checkpoint was made with policy '" + policy + "', this context runs '" +
                                    kv_policy_text() + "'");
  }
  std::array<int32_t, 6> geometry{};
  RETURN_IF_ERROR(r.GetArray("geometry", geometry.data(), geometry.size()));
  if (geometry != Geometry(hp, options_.kv_type)) {
    return base::FailedPrecondition(
        "KV checkpoint geometry (layers, heads, KV heads, head dim, vocab, KV type) differs from this model's");
  }
  int64_t n_past = 0;
  RETURN_IF_ERROR(r.Get("n_past", &n_past));
  std::vector<float> logits(static_cast<size_t>(hp.n_vocab));
  RETURN_IF_ERROR(r.GetArray("logits", logits.data(), logits.size()));
  std::string cache_live;
  RETURN_IF_ERROR(r.GetString("cache", &cache_live));
  if (r.remaining() != 0) return r.Bad("end", std::to_string(r.remaining()) + " trailing bytes");
  RETURN_IF_ERROR(forward_->cache().Restore(cache_live, fetch));
  if (forward_->cache().n_positions() != n_past) {
    forward_->Truncate(0);
    return base::Corruption("KV live state: n_past " + std::to_string(n_past) + " but the cache holds " +
                            std::to_string(forward_->cache().n_positions()));
  }
  if (base::Status s = forward_->SetRestoredState(logits); !s.ok()) {
    forward_->Truncate(0);
    return s;
  }
  return base::Status::Ok();
}

}  // namespace engine
