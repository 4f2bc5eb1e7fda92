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

std::vector<std::vector<WriterState::MappedKey>> WriterState::KeysOf(const checkpoint::Chain& chain) {
  std::vector<std::vector<MappedKey>> keys(static_cast<size_t>(chain.layers()));
  for (int l = 0; l < chain.layers(); ++l) {
    auto& per_layer = keys[static_cast<size_t>(l)];
    per_layer.resize(static_cast<size_t>(chain.blocks_in(l)));
    for (size_t i = 0; i < per_layer.size(); ++i) {
      const checkpoint::ChainBlock* b = chain.Find(l, static_cast<int64_t>(i));
      if (b) per_layer[i] = {true, chain.Entry(*b).key};
    }
  }
  return keys;
}

void WriterState::Adopt(const checkpoint::Chain& chain) {
  history_ = chain.History();
  mapped_ = KeysOf(chain);
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
  if (restored_chain_) {
    Adopt(*restored_chain_);
    restored_chain_.reset();
  }
  if (loaded_) return base::Status::Ok();
  RETURN_IF_ERROR(LoadNextSeq());
  if (head_ != 0) {
    blocks::SegmentReader reader(deps_->fs, deps_->data_dir);
    ASSIGN_OR_RETURN(checkpoint::Chain chain, checkpoint::LoadChain(deps_->db.get(), &reader, head_));
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
  restored_chain_ = std::move(chain);
  loaded_ = true;
  kv_mark_ = kv->kv_mark();
  held_is_head_ = true;
  held_.clear();
  return restored;
}

base::Result<RestoredSession> WriterState::RestoreAt(int64_t checkpoint_id, KvState* kv) {
  if (checkpoint_id == head_) return Restore(kv);
  RETURN_IF_ERROR(checkpoint::CheckCompatible(session_, *kv));
  kv_mark_.reset();  // whatever happens next, the context no longer holds what the mark says
  checkpoint::Chain chain;
  ASSIGN_OR_RETURN(RestoredSession restored, checkpoint::RestoreCheckpoint(deps_, checkpoint_id, kv, &chain));
  held_ = KeysOf(chain);
  held_is_head_ = false;
  kv_mark_ = kv->kv_mark();
  return restored;
}

base::Result<WriterState::Found> WriterState::Lookup(const blocks::BlockKey& key, const engine::KvBlock& block) {
  const std::string_view payload = block.bytes;
  ASSIGN_OR_RETURN(db::Stmt stmt,
                   deps_->db->Prepare("SELECT s.file, b.offset, b.length, b.crc, b.hot_length, b.hot_crc, b.cold_crc"
                                      " FROM blocks b JOIN segments s ON s.id = b.segment_id"
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
  // Busy: SQLite's lock wait ran out, or gc compacted a segment this
  // checkpoint shares blocks from. A second attempt looks the blocks up
  // again; what the first appended is garbage for gc.
  if (stats.status().code() == base::StatusCode::kBusy) {
    stats = TryCheckpoint(kv, history, sampler);
    if (!stats.ok()) keyer_.reset();
  }
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

  Step step;
  step.delta.tokens.assign(history.begin() + unchanged, history.end());
  // Blocks wholly below `kept` hold what the context held at the last
  // checkpoint or restore. Above it they may be recomputed: same tokens
  // (so same key) do not mean same bytes, so they are exported and compared.
  const int64_t kept = kv_mark_ ? std::min(unchanged, kv.unchanged_since(*kv_mark_)) : 0;
  const engine::KvMark mark = kv.kv_mark();
  const int n_layers = kv.n_layers();
  for (int layer = 0; layer < n_layers; ++layer) {
    const int64_t closed = kv.closed_blocks(layer);
    if (closed > keyer_->complete_blocks()) {
      return base::Internal("layer " + std::to_string(layer) + " has " + std::to_string(closed) +
                            " closed blocks, more than the history covers");
    }
    static const std::vector<MappedKey> kNone;
    const auto of = [&](const std::vector<std::vector<MappedKey>>& table) -> const std::vector<MappedKey>& {
      return layer < static_cast<int>(table.size()) ? table[static_cast<size_t>(layer)] : kNone;
    };
    const std::vector<MappedKey>& head = of(mapped_);
    const std::vector<MappedKey>& held = held_is_head_ ? head : of(held_);
    const int64_t kept_blocks = std::min({static_cast<int64_t>(held.size()), closed, kept / block_tokens});
    // Where the context holds the head's blocks, nothing below kept_blocks
    // changed: start there. After a restore of another checkpoint, compare.
    for (int64_t index = held_is_head_ ? kept_blocks : 0; index < closed; ++index) {
      const auto i = static_cast<size_t>(index);
      const bool head_has = i < head.size() && head[i].present;
      if (index < kept_blocks && held[i].present && head_has && held[i].key == head[i].key) continue;
      RETURN_IF_ERROR(StoreBlock(kv, {layer, index, keyer_->Key(layer, index)}, head_has ? &head[i] : nullptr, &step));
    }
  }
  {
    const std::string record = checkpoint::EncodeDelta(step.delta);
    ASSIGN_OR_RETURN(step.pending.delta, segments_.Append(base::Hash128(record.data(), record.size()), record));
    step.stats.bytes_written += record.size() + blocks::kRecordOverheadBytes;
  }
  RETURN_IF_ERROR(segments_.Sync());

  ASSIGN_OR_RETURN(std::string live, kv.ExportLiveState());
  Pending& pending = step.pending;
  CheckpointStats& stats = step.stats;
  ASSIGN_OR_RETURN(pending.live, checkpoint::WriteLiveFile(deps_->fs, deps_->data_dir, session_.id, live));
  stats.bytes_written += live.size();

  pending.history = history;
  pending.history_base = unchanged;
  pending.sampler = sampler;
  ASSIGN_OR_RETURN(const int64_t id, Commit(pending));

  // Committed: only now does the in-memory head move, and the context
  // holds exactly the head's blocks.
  head_ = id;
  ++next_seq_;
  history_.assign(history.begin(), history.end());
  if (mapped_.size() < static_cast<size_t>(n_layers)) mapped_.resize(static_cast<size_t>(n_layers));
  for (int layer = 0; layer < n_layers; ++layer) {
    mapped_[static_cast<size_t>(layer)].resize(static_cast<size_t>(kv.closed_blocks(layer)));
  }
  for (const NewMapping& m : pending.mappings) {
    mapped_[static_cast<size_t>(m.layer)][static_cast<size_t>(m.index)] = {true, m.key};
  }
  held_.clear();
  held_is_head_ = true;
  kv_mark_ = mark;
  stats.checkpoint_id = id;
  stats.n_past = static_cast<int64_t>(history.size());
  stats.new_blocks = static_cast<int64_t>(pending.new_blocks.size());
  stats.seconds = SecondsSince(deps_->clock, t0);
  return stats;
}

base::Status WriterState::StoreBlock(const KvState& kv, const BlockRef& ref, const MappedKey* head, Step* step) {
  ASSIGN_OR_RETURN(engine::KvBlock block, kv.ExportBlock(ref.layer, ref.index));
  const std::string_view payload = block.bytes;
  blocks::BlockKey key = ref.key;
  ASSIGN_OR_RETURN(Found found, Lookup(key, block));
  if (found.stored == Stored::kDifferent) {
    // Same tokens, other bytes (another backend, thread count or prefill
    // chunking computed it): sharing would break bit-identical resume, so
    // this content gets its own key.
    key = VariantKey(key, payload);
    ASSIGN_OR_RETURN(found, Lookup(key, block));
  }
  if (found.stored == Stored::kSame) {
    if (head && head->key == key) return base::Status::Ok();  // the head maps these very bytes
    RETURN_IF_ERROR(step->delta.Add(ref.layer, ref.index, key, found.location));
    std::vector<std::string>& shared = step->pending.shared_files;
    if (std::find(shared.begin(), shared.end(), found.location.file) == shared.end()) {
      shared.push_back(found.location.file);
    }
    step->pending.mappings.push_back({ref.layer, ref.index, key});
    ++step->stats.shared_blocks;
    return base::Status::Ok();
  }
  ASSIGN_OR_RETURN(blocks::BlockLocation loc, segments_.Append(key, payload, static_cast<int64_t>(block.hot_bytes)));
  step->stats.bytes_written += payload.size() + blocks::kRecordOverheadBytes;
  RETURN_IF_ERROR(step->delta.Add(ref.layer, ref.index, key, loc));
  step->pending.mappings.push_back({ref.layer, ref.index, key});
  step->pending.new_blocks.push_back({key, loc});
  return base::Status::Ok();
}

}  // namespace sessions::internal
