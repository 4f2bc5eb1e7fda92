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
  // Each file mapped once; a block costs no lookup and no allocation.
  std::vector<std::shared_ptr<const base::MappedFile>> mapped(chain.files.size());
  // No block byte is read here: both parts stay in the mapped segment with
  // their CRCs, and the cache checks each before its first use
  // (engine/kv/kv_block.h). So a resume costs the live state and the
  // chain, not the blocks.
  engine::KvBlockFetcher fetch = [&](int layer, int64_t index) -> base::Result<engine::KvBlockView> {
    const auto which = [&] { return "layer " + std::to_string(layer) + " block " + std::to_string(index); };
    if (layer < 0 || index < 0 || static_cast<size_t>(layer) >= chain.blocks.size() ||
        static_cast<size_t>(index) >= chain.blocks[static_cast<size_t>(layer)].size() ||
        !chain.blocks[static_cast<size_t>(layer)][static_cast<size_t>(index)].present) {
      return base::Corruption("checkpoint " + std::to_string(checkpoint_id) + " has no " + which());
    }
    const ChainBlock& b = chain.blocks[static_cast<size_t>(layer)][static_cast<size_t>(index)];
    if (b.hot_length < 0 || static_cast<uint64_t>(b.hot_length) > b.length) {
      return base::FailedPrecondition(which() + " (key " + b.key.ToHex() +
                                      ") was stored by an older longhaul, in a format this one cannot resume");
    }
    if (!mapped[b.file]) {
      auto file = reader.MapFile(chain.files[b.file]);
      if (!file.ok()) {
        if (file.status().code() == base::StatusCode::kNotFound) *moved = true;
        return file.status().WithContext(which() + " (key " + b.key.ToHex() + ")");
      }
      mapped[b.file] = *std::move(file);
    }
    const base::MappedFile& file = *mapped[b.file];
    if (b.offset > file.size() || b.length > file.size() - b.offset) {
      const uint64_t have = b.offset > file.size() ? 0 : file.size() - b.offset;
      return base::Corruption(blocks::SegmentReader::Where(chain.Location(b)) + ": " + which() + ": the file ends " +
                              std::to_string(b.length - have) + " bytes short of the block");
    }
    const std::string_view bytes(reinterpret_cast<const char*>(file.data()) + b.offset, b.length);
    const std::string_view hot = bytes.substr(0, static_cast<size_t>(b.hot_length));
    ++out.blocks_loaded;
    out.bytes_mapped += bytes.size();
    return engine::KvBlockView{hot, bytes.substr(hot.size()), b.cold_crc, mapped[b.file], b.hot_crc};
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
