#include "sessions/checkpoint/restore.h"

#include <utility>

#include "base/hash.h"
#include "sessions/blocks/segment.h"
#include "sessions/util/bytes.h"

namespace sessions::checkpoint {

base::Status CheckCompatible(const SessionInfo& session, const internal::KvState& kv) {
  const std::string label = "session " + (session.name.empty() ? session.id : session.name + " (" + session.id + ")");
  const std::string fingerprint = kv.model_fingerprint();
  if (fingerprint != session.model_fingerprint) {
    return base::FailedPrecondition(label + " was made with model " + session.model_fingerprint +
                                    (session.model_path.empty() ? "" : " (" + session.model_path + ")") +
                                    ", but the loaded model is " + fingerprint);
  }
  const std::string policy = kv.policy_text();
  if (policy != session.policy) {
    return base::FailedPrecondition(label + " uses KV policy \"" + session.policy + "\", but the context runs \"" +
                                    policy + "\"");
  }
  return base::Status::Ok();
}

namespace {

// One attempt. Sets *moved when a block's segment file was missing: gc
// compacted it after the chain was read, and a fresh chain will find it.
base::Result<RestoredSession> RestoreOnce(internal::StoreDeps* deps, int64_t checkpoint_id, internal::KvState* kv,
                                          Chain* chain_out, bool* moved) {
  const int64_t t0 = deps->clock->MonotonicNanos();
  ASSIGN_OR_RETURN(Chain chain, LoadChain(deps->db.get(), checkpoint_id));
  ASSIGN_OR_RETURN(std::string live, ReadLiveFile(deps->fs, deps->data_dir, chain.live));

  RestoredSession out;
  out.checkpoint_id = checkpoint_id;
  out.bytes_read = live.size();
  blocks::SegmentReader reader(deps->fs, deps->data_dir);
  // Each block's hot part is checked here; its cold part stays in the
  // mapped segment, and the engine checks it against cold_crc when it
  // first reads it. So a resume touches the hot set, not every payload.
  engine::KvBlockFetcher fetch = [&](int layer, int64_t index) -> base::Result<engine::KvBlockView> {
    const auto which = [&] { return "layer " + std::to_string(layer) + " block " + std::to_string(index); };
    if (layer < 0 || index < 0 || static_cast<size_t>(layer) >= chain.blocks.size() ||
        static_cast<size_t>(index) >= chain.blocks[static_cast<size_t>(layer)].size() ||
        !chain.blocks[static_cast<size_t>(layer)][static_cast<size_t>(index)].present) {
      return base::Corruption("checkpoint " + std::to_string(checkpoint_id) + " has no " + which());
    }
    const ChainBlock& b = chain.blocks[static_cast<size_t>(layer)][static_cast<size_t>(index)];
    const blocks::BlockLocation& loc = b.location;
    if (loc.hot_length < 0 || static_cast<uint64_t>(loc.hot_length) > loc.length) {
      return base::FailedPrecondition(which() + " (key " + b.key.ToHex() +
                                      ") was stored by an older longhaul, in a format this one cannot resume");
    }
    auto view = reader.View(loc);
    if (!view.ok()) {
      if (view.status().code() == base::StatusCode::kNotFound) *moved = true;
      return view.status().WithContext(which() + " (key " + b.key.ToHex() + ")");
    }
    const std::string_view hot = view->bytes.substr(0, static_cast<size_t>(loc.hot_length));
    const uint32_t crc = base::Crc32c(hot.data(), hot.size());
    if (crc != loc.hot_crc) {
      return base::Corruption(blocks::SegmentReader::Where(loc) + ": " + which() + " (key " + b.key.ToHex() +
                              "): CRC32C mismatch in its hot part (index says " + util::Hex32(loc.hot_crc) +
                              ", bytes give " + util::Hex32(crc) + ")");
    }
    ++out.blocks_loaded;
    out.bytes_read += hot.size();
    out.bytes_mapped += view->bytes.size() - hot.size();
    return engine::KvBlockView{hot, view->bytes.substr(hot.size()), loc.cold_crc, std::move(view->owner)};
  };
  base::Status s = kv->Restore(live, fetch);
  if (!s.ok()) return s.WithContext("restoring checkpoint " + std::to_string(checkpoint_id));
  if (kv->n_past() != chain.n_past) {
    return base::Corruption("checkpoint " + std::to_string(checkpoint_id) + " holds " + std::to_string(chain.n_past) +
                            " tokens but its live state restored " + std::to_string(kv->n_past()));
  }
  out.history = chain.history;
  out.sampler = chain.sampler;
  out.seconds = internal::SecondsSince(deps->clock, t0);
  if (chain_out) *chain_out = std::move(chain);
  return out;
}

}  // namespace

base::Result<RestoredSession> RestoreCheckpoint(internal::StoreDeps* deps, int64_t checkpoint_id, internal::KvState* kv,
                                                Chain* chain_out) {
  bool moved = false;
  auto restored = RestoreOnce(deps, checkpoint_id, kv, chain_out, &moved);
  if (restored.ok() || !moved) return restored;
  moved = false;
  return RestoreOnce(deps, checkpoint_id, kv, chain_out, &moved);
}

}  // namespace sessions::checkpoint
