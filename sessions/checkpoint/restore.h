// Resume: a checkpoint's state back into a KvState, verified.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "sessions/checkpoint/chain.h"
#include "sessions/checkpoint/kv_state.h"
#include "sessions/core/deps.h"
#include "sessions/store.h"

namespace sessions::checkpoint {

// Checks that `kv` runs the session's model and policy: FailedPrecondition
// naming both fingerprints (or policies) otherwise.
base::Status CheckCompatible(const SessionInfo& session, const internal::KvState& kv);

// Loads checkpoint `checkpoint_id` into `kv`: reads and CRC-checks the live
// state, then lets the engine fetch the blocks in ranges, each a view into
// its mapped segment with the CRCs of its hot and cold parts, which the
// engine checks before their first use (engine/kv/kv_block.h).
// The chain it assembled is returned through `chain_out` when non-null.
// A block file missing mid-restore means a concurrent gc moved blocks
// after the chain was read: the restore is retried once with a fresh chain.
base::Result<RestoredSession> RestoreCheckpoint(internal::StoreDeps* deps, int64_t checkpoint_id, internal::KvState* kv,
                                                Chain* chain_out);

}  // namespace sessions::checkpoint
