// What gc.cc and gc_compact.cc share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sessions/blocks/segment.h"
#include "sessions/checkpoint/delta.h"
#include "sessions/core/deps.h"
#include "sessions/store.h"

namespace sessions::internal {

// Holds the writer locks gc took, so no writer starts on a session whose
// files gc is deleting.
class OwnerLocks {
 public:
  explicit OwnerLocks(StoreDeps* deps) : deps_(deps) {}
  // True if gc now holds (or already held) the owner's lock.
  bool Acquire(const std::string& owner);

 private:
  StoreDeps* deps_;
  std::map<std::string, std::unique_ptr<base::FileLock>> held_;
  std::set<std::string> busy_;
};

// Removes `rel` (relative to the data dir), counting it; a missing file is OK.
base::Status RemoveFile(StoreDeps* deps, const std::string& rel, GcStats* stats);

// A checkpoint's delta record, as its row locates it.
struct StoredDelta {
  int64_t checkpoint_id = 0;
  blocks::BlockLocation where;
};

// Every checkpoint with a delta and an id above `after_id`, by id.
base::Result<std::vector<StoredDelta>> ListDeltas(db::Db* db, int64_t after_id);

// A delta's bytes (CRC-checked) and their parse. Corruption naming the
// checkpoint when unreadable: gc must not act on a guess.
struct ReadDelta {
  std::string bytes;
  checkpoint::DeltaView view;  // into `bytes`
};
base::Result<std::unique_ptr<ReadDelta>> LoadDelta(blocks::SegmentReader* reader, const StoredDelta& d);

// Compacts segments less than half live (gc step 4).
base::Status CompactSegments(StoreDeps* deps, OwnerLocks* locks, GcStats* stats);

}  // namespace sessions::internal
