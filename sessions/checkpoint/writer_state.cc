#include "sessions/checkpoint/writer_state.h"

#include <algorithm>
#include <utility>

#include "base/hash.h"
#include "sessions/checkpoint/restore.h"

namespace sessions::internal {
namespace {

int64_t CommonPrefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  const auto mismatch = std::mismatch(a.begin(), a.begin() + static_cast<ptrdiff_t>(n), b.begin());
  return static_cast<int64_t>(mismatch.first - a.begin());
}

}  // namespace

WriterState::WriterState(StoreDeps* deps, const SessionInfo& session)
    : deps_(deps),
      session_(session),
      segments_(deps->fs, deps->data_dir, session.id, deps->segment_bytes),
      reader_(deps->fs, deps->data_dir),
      head_(session.head_checkpoint) {}

void WriterState::Adopt(const checkpoint::Chain& chain) {
  history_ = chain.history;
  mapped_.assign(chain.blocks.size(), {});
  for (size_t l = 0; l < chain.blocks.size(); ++l) {
    mapped_[l].resize(chain.blocks[l].size());
    for (size_t i = 0; i < chain.blocks[l].size(); ++i) {
      mapped_[l][i].present = chain.blocks[l][i].present;
      mapped_[l][i].key = chain.blocks[l][i].key;
    }
  }
  keyer_.reset();  // rebuilt against the new history on the next checkpoint
}

base::Status WriterState::LoadNextSeq() {
  ASSIGN_OR_RETURN(db::Stmt stmt,
                   deps_->db->Prepare("SELECT COALESCE(MAX(seq), 0) FROM checkpoints WHERE session_id = ?1"));
  stmt.Bind(1, session_.id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  next_seq_ = row ? stmt.Int(0) + 1 : 1;
  return base::Status::Ok();
}

base::Status WriterState::LoadHead() {
  if (loaded_) return base::Status::Ok();
  RETURN_IF_ERROR(LoadNextSeq());
  if (head_ != 0) {
    ASSIGN_OR_RETURN(checkpoint::Chain chain, checkpoint::LoadChain(deps_->db.get(), head_));
    Adopt(chain);
  }
  loaded_ = true;
  return base::Status::Ok();
}

base::Result<RestoredSession> WriterState::Restore(KvState* kv) {
  RETURN_IF_ERROR(checkpoint::CheckCompatible(session_, *kv));
  if (loaded_ || head_ == 0) {
    RETURN_IF_ERROR(LoadHead());
    if (head_ == 0) return RestoredSession{};
  }
  // The restore assembles the head's chain anyway: adopt that one rather
  // than read it twice (at a million tokens the chain is most of a resume).
  if (!loaded_) RETURN_IF_ERROR(LoadNextSeq());
  checkpoint::Chain chain;
  ASSIGN_OR_RETURN(RestoredSession restored, checkpoint::RestoreCheckpoint(deps_, head_, kv, &chain));
  Adopt(chain);
  loaded_ = true;
  return restored;
}

base::Result<WriterState::Found> WriterState::Lookup(const blocks::BlockKey& key, const engine::KvBlock& block) {
  const std::string_view payload = block.bytes;
  ASSIGN_OR_RETURN(db::Stmt stmt,
                   deps_->db->Prepare("SELECT s.file, b.offset, b.length, b.crc, b.hot_length, b.hot_crc, b.cold_crc,"
                                      " b.segment_id FROM blocks b JOIN segments s ON s.id = b.segment_id"
                                      " WHERE b.key = ?1"));
  stmt.BindBlob(1, blocks::KeyToBytes(key));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  Found found;
  if (!row) return found;
  found.location = blocks::BlockLocation{stmt.Text(0),
                                         static_cast<uint64_t>(stmt.Int(1)),
                                         static_cast<uint64_t>(stmt.Int(2)),
                                         static_cast<uint32_t>(stmt.Int(3)),
                                         stmt.Int(4),
                                         static_cast<uint32_t>(stmt.Int(5)),
                                         static_cast<uint32_t>(stmt.Int(6))};
  found.segment_id = stmt.Int(7);
  const blocks::BlockLocation& loc = found.location;
  // A copy split elsewhere (or not at all, by schema version 1) would not
  // resume as this block: it counts as different.
  found.stored = Stored::kDifferent;
  if (loc.length != payload.size() || loc.hot_length != static_cast<int64_t>(block.hot_bytes) ||
      loc.crc != base::Crc32c(payload.data(), payload.size())) {
    return found;
  }
  // Same size and CRC: compare every byte before trusting someone else's
  // copy. An unreadable or corrupt copy counts as different, so this
  // writer stores a good one of its own.
  auto stored = reader_.Read(loc);
  if (stored.ok() && *stored == payload) found.stored = Stored::kSame;
  return found;
}

blocks::BlockKey WriterState::VariantKey(const blocks::BlockKey& key, std::string_view payload) {
  std::string buf = blocks::KeyToBytes(key) + blocks::KeyToBytes(base::Hash128(payload.data(), payload.size()));
  return base::Hash128(buf.data(), buf.size());
}

base::Result<CheckpointStats> WriterState::Checkpoint(const KvState& kv, std::span<const int32_t> history,
                                                      const SamplerState& sampler) {
  auto stats = TryCheckpoint(kv, history, sampler);
  // The keyer may have advanced to a history that never committed; the
  // next attempt rebuilds it from the committed one rather than trust it.
  if (!stats.ok()) keyer_.reset();
  return stats;
}

base::Result<CheckpointStats> WriterState::TryCheckpoint(const KvState& kv, std::span<const int32_t> history,
                                                         const SamplerState& sampler) {
  const int64_t t0 = deps_->clock->MonotonicNanos();
  RETURN_IF_ERROR(checkpoint::CheckCompatible(session_, kv));
  if (kv.n_past() != static_cast<int64_t>(history.size())) {
    return base::InvalidArgument("checkpoint: the context holds " + std::to_string(kv.n_past()) +
                                 " positions but the history has " + std::to_string(history.size()) + " tokens");
  }
  RETURN_IF_ERROR(LoadHead());
  const int64_t block_tokens = kv.block_tokens();
  if (block_tokens <= 0)
    return base::Internal("the context reports a KV block size of " + std::to_string(block_tokens));
  const int64_t unchanged = CommonPrefix(history_, history);
  if (!keyer_ || keyer_->block_tokens() != block_tokens) {
    keyer_.emplace(session_.model_fingerprint, session_.policy, block_tokens);
    keyer_->Update(history, 0);
  } else {
    keyer_->Update(history, unchanged);
  }

  CheckpointStats stats;
  Pending pending;
  std::vector<NewMapping>& mappings = pending.mappings;
  std::vector<NewBlock>& new_blocks = pending.new_blocks;
  const int n_layers = kv.n_layers();
  for (int layer = 0; layer < n_layers; ++layer) {
    const int64_t closed = kv.closed_blocks(layer);
    if (closed > keyer_->complete_blocks()) {
      return base::Internal("layer " + std::to_string(layer) + " has " + std::to_string(closed) +
                            " closed blocks, more than the history covers");
    }
    static const std::vector<MappedKey> kNone;
    const std::vector<MappedKey>& known =
        layer < static_cast<int>(mapped_.size()) ? mapped_[static_cast<size_t>(layer)] : kNone;
    // Blocks wholly inside the unchanged prefix are still mapped as before.
    const int64_t start = std::min<int64_t>(static_cast<int64_t>(known.size()), unchanged / block_tokens);
    for (int64_t index = start; index < closed; ++index) {
      blocks::BlockKey key = keyer_->Key(layer, index);
      if (index < static_cast<int64_t>(known.size()) && known[static_cast<size_t>(index)].present &&
          known[static_cast<size_t>(index)].key == key) {
        continue;
      }
      ASSIGN_OR_RETURN(engine::KvBlock block, kv.ExportBlock(layer, index));
      const std::string_view payload = block.bytes;
      ASSIGN_OR_RETURN(Found found, Lookup(key, block));
      if (found.stored == Stored::kDifferent) {
        // Same tokens, other bytes (another backend, thread count or
        // prefill chunking computed it): sharing would break bit-identical
        // resume, so this content gets its own key.
        key = VariantKey(key, payload);
        ASSIGN_OR_RETURN(found, Lookup(key, block));
      }
      if (found.stored == Stored::kSame) {
        mappings.push_back({layer, index, key, found.segment_id, found.location});
        ++stats.shared_blocks;
        continue;
      }
      ASSIGN_OR_RETURN(blocks::BlockLocation loc,
                       segments_.Append(key, payload, static_cast<int64_t>(block.hot_bytes)));
      stats.bytes_written += payload.size() + blocks::kRecordOverheadBytes;
      mappings.push_back({layer, index, key, 0, loc});
      new_blocks.push_back({key, loc});
    }
  }
  RETURN_IF_ERROR(segments_.Sync());

  ASSIGN_OR_RETURN(std::string live, kv.ExportLiveState());
  ASSIGN_OR_RETURN(pending.live, checkpoint::WriteLiveFile(deps_->fs, deps_->data_dir, session_.id, live));
  stats.bytes_written += live.size();

  pending.history = history;
  pending.history_base = unchanged;
  pending.sampler = sampler;
  ASSIGN_OR_RETURN(const int64_t id, Commit(pending));

  // Committed: only now does the in-memory head move.
  head_ = id;
  ++next_seq_;
  history_.assign(history.begin(), history.end());
  if (mapped_.size() < static_cast<size_t>(n_layers)) mapped_.resize(static_cast<size_t>(n_layers));
  for (int layer = 0; layer < n_layers; ++layer) {
    mapped_[static_cast<size_t>(layer)].resize(static_cast<size_t>(kv.closed_blocks(layer)));
  }
  for (const NewMapping& m : mappings) {
    mapped_[static_cast<size_t>(m.layer)][static_cast<size_t>(m.index)] = {true, m.key};
  }
  stats.checkpoint_id = id;
  stats.n_past = static_cast<int64_t>(history.size());
  stats.new_blocks = static_cast<int64_t>(new_blocks.size());
  stats.seconds = SecondsSince(deps_->clock, t0);
  return stats;
}

}  // namespace sessions::internal
