// The checkpoint protocol for one session's writer.
//
// The writer remembers the head checkpoint's token history and, per layer,
// the block key at each index, so a checkpoint only looks at blocks past
// the point where the history changed: work and bytes grow with the new
// tokens, not with the session. Order of a checkpoint:
//   1. new block payloads appended to this writer's segment, fsynced (and
//      the directory, when the segment is new);
//   2. the live state written to a new file, fsynced, directory fsynced;
//   3. one SQLite transaction inserts the segment, block, checkpoint and
//      mapping rows and moves the session's head.
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
#include "sessions/checkpoint/kv_state.h"
#include "sessions/core/deps.h"
#include "sessions/store.h"

namespace sessions::internal {

class WriterState {
 public:
  WriterState(StoreDeps* deps, const SessionInfo& session);

  base::Result<RestoredSession> Restore(KvState* kv);
  base::Result<CheckpointStats> Checkpoint(const KvState& kv, std::span<const int32_t> history,
                                           const SamplerState& sampler);
  int64_t head() const { return head_; }

 private:
  struct NewMapping {
    int layer;
    int64_t index;
    blocks::BlockKey key;
    // Where the block lies: segment_id is 0 for a block this checkpoint
    // writes (its segment row does not exist before the commit; `file`
    // names it).
    int64_t segment_id = 0;
    blocks::BlockLocation location;
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
    int64_t segment_id = 0;           // kSame: where the stored copy is
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
  };
  // Returns the new checkpoint's id.
  base::Result<int64_t> Commit(const Pending& p);
  base::Status InsertRuns(int64_t checkpoint_id, std::span<const NewMapping> mappings);
  // Takes the head's history and block keys from an assembled chain.
  void Adopt(const checkpoint::Chain& chain);

  StoreDeps* deps_;
  SessionInfo session_;
  blocks::SegmentWriter segments_;
  blocks::SegmentReader reader_;  // for comparing with blocks already stored
  bool loaded_ = false;
  int64_t head_ = 0;
  int64_t next_seq_ = 1;
  std::vector<int32_t> history_;  // the head's tokens
  struct MappedKey {
    bool present = false;
    blocks::BlockKey key;
  };
  std::vector<std::vector<MappedKey>> mapped_;  // [layer][index] at the head
  std::optional<blocks::BlockKeyer> keyer_;
};

}  // namespace sessions::internal
