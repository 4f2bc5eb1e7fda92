// The checkpoint protocol for one session's writer.
//
// The writer remembers the head checkpoint's token history and, per layer,
// the block key at each index, so a checkpoint only looks at blocks past
// the point where the history changed: work and bytes grow with the new
// tokens, not with the session. Order of a checkpoint:
//   1. new block payloads, then the checkpoint's delta record (its new
//      tokens and mappings, delta.h), appended to this writer's segment
//      and fsynced (and the directory, when the segment is new);
//   2. the live state written to a new file, fsynced, directory fsynced;
//   3. one SQLite transaction inserts the segment, block and checkpoint
//      rows (the checkpoint row points at its delta) and moves the
//      session's head.
// Nothing is visible before 3 commits; a failure or crash before it leaves
// garbage that only gc sees, and the in-memory state is unchanged.
//
// A block is shared with whatever the store already holds under its key
// only if the bytes are identical; otherwise it gets a variant key (the
// key plus a hash of its bytes), so sharing never changes what a resume
// computes.
//
// Threading: one thread at a time (it belongs to one SessionWriter).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "sessions/blocks/block_key.h"
#include "sessions/blocks/segment.h"
#include "sessions/checkpoint/chain.h"
#include "sessions/checkpoint/delta.h"
#include "sessions/checkpoint/kv_state.h"
#include "sessions/core/deps.h"
#include "sessions/store.h"

namespace sessions::internal {

class WriterState {
 public:
  WriterState(StoreDeps* deps, const SessionInfo& session);

  base::Result<RestoredSession> Restore(KvState* kv);
  // Restores an earlier checkpoint of this session's chain (an undo); the
  // next checkpoint compares the blocks it holds with the head's.
  base::Result<RestoredSession> RestoreAt(int64_t checkpoint_id, KvState* kv);
  base::Result<CheckpointStats> Checkpoint(const KvState& kv, std::span<const int32_t> history,
                                           const SamplerState& sampler);
  int64_t head() const { return head_; }

 private:
  // A (layer, index) whose block changed: the in-memory head takes it
  // once the checkpoint commits.
  struct NewMapping {
    int layer;
    int64_t index;
    blocks::BlockKey key;
  };
  struct NewBlock {
    blocks::BlockKey key;
    blocks::BlockLocation location;
  };

  base::Result<CheckpointStats> TryCheckpoint(const KvState& kv, std::span<const int32_t> history,
                                              const SamplerState& sampler);
  // Loads history and block keys of the head from the database, once.
  base::Status LoadHead();
  base::Status LoadNextSeq();
  // Whether the store holds `key`, and with exactly these bytes.
  enum class Stored { kAbsent, kSame, kDifferent };
  struct Found {
    Stored stored = Stored::kAbsent;
    blocks::BlockLocation location;   // kSame
  };
  base::Result<Found> Lookup(const blocks::BlockKey& key, const engine::KvBlock& block);
  static blocks::BlockKey VariantKey(const blocks::BlockKey& key, std::string_view payload);
  // Everything step 3 publishes.
  struct Pending {
    std::vector<NewMapping> mappings;
    std::vector<NewBlock> new_blocks;
    std::span<const int32_t> history;
    int64_t history_base = 0;  // tokens shared with the head's history
    SamplerState sampler;
    checkpoint::LiveFileRef live;
    blocks::BlockLocation delta;  // the checkpoint's delta record (delta.h)
    // Segments holding blocks shared from the store: the commit checks each
    // still exists (a concurrent gc may have compacted it away).
    std::vector<std::string> shared_files;
  };
  // Returns the new checkpoint's id.
  base::Result<int64_t> Commit(const Pending& p);
  // Takes the head's history and block keys from an assembled chain.
  void Adopt(const checkpoint::Chain& chain);

  struct MappedKey {
    bool present = false;
    blocks::BlockKey key;
  };
  // [layer][index] -> the key a chain maps there.
  static std::vector<std::vector<MappedKey>> KeysOf(const checkpoint::Chain& chain);
  // One checkpoint's work in progress.
  struct Step {
    Pending pending;
    checkpoint::DeltaData delta;
    CheckpointStats stats;
  };
  struct BlockRef {
    int layer;
    int64_t index;
    blocks::BlockKey key;  // by its tokens
  };
  // Exports block `ref` and maps it: shared with a stored copy of the same
  // bytes, or appended to this writer's segment. Nothing when `head` (the
  // head's mapping at that index, if any) already is those bytes.
  base::Status StoreBlock(const KvState& kv, const BlockRef& ref, const MappedKey* head, Step* step);

  StoreDeps* deps_;
  SessionInfo session_;
  blocks::SegmentWriter segments_;
  blocks::SegmentReader reader_;  // for comparing with blocks already stored
  bool loaded_ = false;
  // The chain a Restore assembled, adopted at the first checkpoint: a
  // resume that never checkpoints does not pay for decoding it twice.
  std::optional<checkpoint::Chain> restored_chain_;
  int64_t head_ = 0;
  int64_t next_seq_ = 1;
  std::vector<int32_t> history_;  // the head's tokens
  std::vector<std::vector<MappedKey>> mapped_;  // [layer][index] at the head
  // What the context held at kv_mark_ (the last checkpoint or restore):
  // the head's blocks, or held_ after a restore of another checkpoint.
  std::optional<engine::KvMark> kv_mark_;
  bool held_is_head_ = true;
  std::vector<std::vector<MappedKey>> held_;  // [layer][index]
  std::optional<blocks::BlockKeyer> keyer_;
};

}  // namespace sessions::internal
