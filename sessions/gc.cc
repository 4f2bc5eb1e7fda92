// Store::Gc: reclaims what no session reaches.
//
// 1. One transaction deletes checkpoints that no session reaches (a
//    session reaches its own checkpoints and their ancestor chains, which
//    for a fork run into its parent's), the block rows no remaining
//    checkpoint maps, and segment rows left without blocks.
// 2. Files of deleted rows are removed after the commit; a crash between
//    leaves orphans that step 3 of the next gc removes.
// 3. Orphan files (no row names them) are removed, but only while their
//    owner session's writer lock is free: an open writer's in-flight
//    segment or live state is not an orphan yet.
// 4. Segments less than half live are compacted: live blocks are copied
//    to a new segment, fsynced, re-pointed in one transaction, and the old
//    file removed.
// 5. Lock files of removed sessions are deleted.
#include <algorithm>
#include <map>
#include <set>

#include "sessions/blocks/segment.h"
#include "sessions/checkpoint/block_runs.h"
#include "sessions/checkpoint/live_file.h"
#include "sessions/core/store_impl.h"
#include "sessions/util/bytes.h"

namespace sessions {
namespace {

using internal::StoreDeps;

base::Result<std::set<std::string>> Strings(db::Db* db, const std::string& sql) {
  ASSIGN_OR_RETURN(db::Stmt st, db->Prepare(sql));
  std::set<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.insert(st.Text(0));
  }
  return out;
}

// Holds the writer locks gc took, so no writer starts on a session whose
// files gc is deleting.
class OwnerLocks {
 public:
  explicit OwnerLocks(StoreDeps* deps) : deps_(deps) {}
  // True if gc now holds (or already held) the owner's lock.
  bool Acquire(const std::string& owner) {
    if (owner.empty()) return false;
    if (held_.count(owner)) return true;
    if (busy_.count(owner)) return false;
    auto lock = internal::TryLockSessionId(deps_, owner);
    if (!lock.ok() || !*lock) {
      busy_.insert(owner);
      return false;
    }
    held_.emplace(owner, std::move(lock).value());
    return true;
  }

 private:
  StoreDeps* deps_;
  std::map<std::string, std::unique_ptr<base::FileLock>> held_;
  std::set<std::string> busy_;
};

base::Status RemoveFile(StoreDeps* deps, const std::string& rel, GcStats* stats) {
  const std::string path = base::JoinPath(deps->data_dir, rel);
  auto size = deps->fs->FileSize(path);
  base::Status s = deps->fs->Remove(path);
  if (s.code() == base::StatusCode::kNotFound) return base::Status::Ok();
  RETURN_IF_ERROR(s);
  ++stats->files_removed;
  if (size.ok()) stats->bytes_reclaimed += *size;
  return base::Status::Ok();
}

// temp.gc_keys: the key of every block a remaining checkpoint maps, from
// checkpoint_blocks rows (schema 2) and run entries (schema 3).
base::Status CollectReachableKeys(db::Db* db) {
  RETURN_IF_ERROR(db->Exec("DROP TABLE IF EXISTS temp.gc_keys;"
                           "CREATE TEMP TABLE gc_keys(key BLOB PRIMARY KEY) WITHOUT ROWID;"
                           "INSERT OR IGNORE INTO temp.gc_keys SELECT block_key FROM checkpoint_blocks;"));
  ASSIGN_OR_RETURN(db::Stmt runs, db->Prepare("SELECT checkpoint_id, entries FROM checkpoint_block_runs"));
  ASSIGN_OR_RETURN(db::Stmt ins, db->Prepare("INSERT OR IGNORE INTO temp.gc_keys(key) VALUES(?1)"));
  std::vector<checkpoint::RunEntry> entries;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, runs.Step());
    if (!row) break;
    entries.clear();
    if (!checkpoint::DecodeRunEntries(runs.Blob(1), &entries)) {
      // Deleting blocks on a guess could destroy what a session needs.
      return base::Corruption("checkpoint " + std::to_string(runs.Int(0)) + ": malformed block run; gc stopped");
    }
    for (const checkpoint::RunEntry& e : entries) {
      ins.Reset();
      ins.BindBlob(1, blocks::KeyToBytes(e.key));
      RETURN_IF_ERROR(ins.Run());
    }
  }
  return base::Status::Ok();
}

// Inside CompactSegment's transaction, after the blocks rows moved: every
// run entry still naming the old segment takes its block's new location.
base::Status RepointRuns(db::Db* db, int64_t old_segment) {
  ASSIGN_OR_RETURN(db::Stmt runs, db->Prepare("SELECT checkpoint_id, layer, first_idx, entries"
                                              " FROM checkpoint_block_runs"));
  ASSIGN_OR_RETURN(db::Stmt where, db->Prepare("SELECT segment_id, offset FROM blocks WHERE key = ?1"));
  struct Update {
    int64_t checkpoint_id, layer, first_idx;
    std::string entries;
  };
  std::vector<Update> updates;
  std::vector<checkpoint::RunEntry> entries;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, runs.Step());
    if (!row) break;
    entries.clear();
    if (!checkpoint::DecodeRunEntries(runs.Blob(3), &entries)) {
      return base::Corruption("checkpoint " + std::to_string(runs.Int(0)) + ": malformed block run");
    }
    bool changed = false;
    for (checkpoint::RunEntry& e : entries) {
      if (e.segment_id != old_segment) continue;
      where.Reset();
      where.BindBlob(1, blocks::KeyToBytes(e.key));
      ASSIGN_OR_RETURN(bool found, where.Step());
      if (!found || where.Int(0) == old_segment) {
        return base::Corruption("block " + e.key.ToHex() + " of checkpoint " + std::to_string(runs.Int(0)) +
                                " did not move with its segment");
      }
      e.segment_id = where.Int(0);
      e.offset = static_cast<uint64_t>(where.Int(1));
      changed = true;
    }
    if (changed) updates.push_back({runs.Int(0), runs.Int(1), runs.Int(2), checkpoint::EncodeRunEntries(entries)});
  }
  ASSIGN_OR_RETURN(db::Stmt upd, db->Prepare("UPDATE checkpoint_block_runs SET entries = ?4"
                                             " WHERE checkpoint_id = ?1 AND layer = ?2 AND first_idx = ?3"));
  for (const Update& u : updates) {
    upd.Reset();
    upd.Bind(1, u.checkpoint_id).Bind(2, u.layer).Bind(3, u.first_idx).BindBlob(4, u.entries);
    RETURN_IF_ERROR(upd.Run());
  }
  return base::Status::Ok();
}

base::Status DeleteUnreachable(StoreDeps* deps, GcStats* stats, std::set<std::string>* dead_files) {
  db::Db* db = deps->db.get();
  ASSIGN_OR_RETURN(auto txn, db::Transaction::Begin(db));
  RETURN_IF_ERROR(
      db->Exec("DROP TABLE IF EXISTS temp.gc_live;"
               "CREATE TEMP TABLE gc_live AS WITH RECURSIVE live(id) AS ("
               " SELECT id FROM checkpoints WHERE session_id IN (SELECT id FROM sessions)"
               " UNION SELECT head_checkpoint FROM sessions WHERE head_checkpoint IS NOT NULL"
               " UNION SELECT fork_checkpoint FROM sessions WHERE fork_checkpoint IS NOT NULL"
               " UNION SELECT c.parent_id FROM checkpoints c JOIN live ON c.id = live.id WHERE c.parent_id IS NOT NULL)"
               " SELECT id FROM live;"));
  ASSIGN_OR_RETURN(auto live_files,
                   Strings(db, "SELECT live_file FROM checkpoints WHERE id NOT IN (SELECT id FROM temp.gc_live)"));
  RETURN_IF_ERROR(db->Exec("DELETE FROM checkpoints WHERE id NOT IN (SELECT id FROM temp.gc_live)"));
  stats->checkpoints_removed = db->Changes();
  RETURN_IF_ERROR(CollectReachableKeys(db));
  RETURN_IF_ERROR(db->Exec("DELETE FROM blocks WHERE key NOT IN (SELECT key FROM temp.gc_keys)"));
  stats->blocks_removed = db->Changes();
  ASSIGN_OR_RETURN(auto segment_files,
                   Strings(db, "SELECT file FROM segments WHERE id NOT IN (SELECT segment_id FROM blocks)"));
  RETURN_IF_ERROR(db->Exec("DELETE FROM segments WHERE id NOT IN (SELECT segment_id FROM blocks)"));
  stats->segments_removed = db->Changes();
  RETURN_IF_ERROR(db->Exec("DROP TABLE temp.gc_live; DROP TABLE temp.gc_keys"));
  RETURN_IF_ERROR(txn->Commit());
  dead_files->insert(live_files.begin(), live_files.end());
  dead_files->insert(segment_files.begin(), segment_files.end());
  return base::Status::Ok();
}

base::Status RemoveOrphans(StoreDeps* deps, OwnerLocks* locks, GcStats* stats) {
  for (const char* dir : {blocks::kSegmentDir, checkpoint::kLiveDir}) {
    auto names = deps->fs->ListDir(base::JoinPath(deps->data_dir, dir));
    if (!names.ok()) continue;  // never created
    for (const std::string& name : *names) {
      const std::string rel = std::string(dir) + "/" + name;
      if (!locks->Acquire(blocks::OwnerOfFileName(name))) {
        ++stats->files_skipped;
        continue;
      }
      // Checked under the owner's lock, so no commit can name it meanwhile.
      ASSIGN_OR_RETURN(db::Stmt st, deps->db->Prepare("SELECT 1 FROM segments WHERE file = ?1"
                                                      " UNION ALL SELECT 1 FROM checkpoints WHERE live_file = ?1"));
      st.Bind(1, rel);
      ASSIGN_OR_RETURN(bool referenced, st.Step());
      if (!referenced) RETURN_IF_ERROR(RemoveFile(deps, rel, stats));
    }
  }
  return base::Status::Ok();
}

// Lock and pid files of sessions that no longer exist. Deleting a lock
// file is safe only because no writer can want a removed session's lock.
base::Status RemoveStaleLocks(StoreDeps* deps, OwnerLocks* locks, GcStats* stats) {
  const std::string dir = base::JoinPath(deps->data_dir, internal::kLockDir);
  auto names = deps->fs->ListDir(dir);
  if (!names.ok()) return base::Status::Ok();
  ASSIGN_OR_RETURN(auto ids, Strings(deps->db.get(), "SELECT id FROM sessions"));
  for (const std::string& name : *names) {
    if (!name.ends_with(".lock")) continue;
    const std::string id = name.substr(0, name.size() - 5);
    if (ids.count(id) || !locks->Acquire(id)) continue;
    RETURN_IF_ERROR(RemoveFile(deps, std::string(internal::kLockDir) + "/" + name + ".pid", stats));
    RETURN_IF_ERROR(RemoveFile(deps, std::string(internal::kLockDir) + "/" + name, stats));
  }
  return base::Status::Ok();
}

struct LiveBlock {
  std::string key;
  blocks::BlockLocation location;
};

base::Status CompactSegment(StoreDeps* deps, int64_t segment_id, const std::string& file, blocks::SegmentWriter* out,
                            GcStats* stats) {
  db::Db* db = deps->db.get();
  std::vector<LiveBlock> live;
  {
    ASSIGN_OR_RETURN(db::Stmt st, db->Prepare("SELECT key, offset, length, crc FROM blocks WHERE segment_id = ?1"));
    st.Bind(1, segment_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      live.push_back({st.Blob(0),
                      {file, static_cast<uint64_t>(st.Int(1)), static_cast<uint64_t>(st.Int(2)),
                       static_cast<uint32_t>(st.Int(3))}});
    }
  }
  blocks::SegmentReader reader(deps->fs, deps->data_dir);
  std::vector<LiveBlock> moved;
  for (const LiveBlock& b : live) {
    // A corrupt block is left where it is (with its segment): resume
    // reports it; gc must not launder it into a fresh CRC.
    ASSIGN_OR_RETURN(std::string payload, reader.Read(b.location));
    blocks::BlockKey key;
    if (!blocks::KeyFromBytes(b.key, &key)) return base::Corruption("malformed block key in segment " + file);
    ASSIGN_OR_RETURN(blocks::BlockLocation loc, out->Append(key, payload));
    moved.push_back({b.key, loc});
  }
  RETURN_IF_ERROR(out->Sync());
  ASSIGN_OR_RETURN(auto txn, db::Transaction::Begin(db));
  ASSIGN_OR_RETURN(db::Stmt seg, db->Prepare("INSERT OR IGNORE INTO segments(file, created_us) VALUES(?1, ?2)"));
  ASSIGN_OR_RETURN(db::Stmt upd, db->Prepare("UPDATE blocks SET segment_id = (SELECT id FROM segments WHERE file = ?2),"
                                             " offset = ?3 WHERE key = ?1 AND segment_id = ?4"));
  for (const LiveBlock& b : moved) {
    seg.Reset();
    seg.Bind(1, b.location.file).Bind(2, deps->clock->NowMicros());
    RETURN_IF_ERROR(seg.Run());
    upd.Reset();
    upd.BindBlob(1, b.key).Bind(2, b.location.file).Bind(3, static_cast<int64_t>(b.location.offset));
    upd.Bind(4, segment_id);
    RETURN_IF_ERROR(upd.Run());
  }
  RETURN_IF_ERROR(RepointRuns(db, segment_id));
  ASSIGN_OR_RETURN(db::Stmt del, db->Prepare("DELETE FROM segments WHERE id = ?1"));
  del.Bind(1, segment_id);
  RETURN_IF_ERROR(del.Run());
  RETURN_IF_ERROR(txn->Commit());
  ++stats->segments_compacted;
  return RemoveFile(deps, file, stats);
}

base::Status CompactSegments(StoreDeps* deps, OwnerLocks* locks, GcStats* stats) {
  struct Candidate {
    int64_t id;
    std::string file;
    uint64_t live_bytes;
  };
  std::vector<Candidate> candidates;
  {
    ASSIGN_OR_RETURN(db::Stmt st, deps->db->Prepare("SELECT s.id, s.file, SUM(b.length) + COUNT(*) * ?1 FROM segments s"
                                                    " JOIN blocks b ON b.segment_id = s.id GROUP BY s.id"));
    st.Bind(1, static_cast<int64_t>(blocks::kRecordOverheadBytes));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      candidates.push_back({st.Int(0), st.Text(1), static_cast<uint64_t>(st.Int(2))});
    }
  }
  const std::string gc_owner = "gc" + util::RandomHex(8);
  if (!locks->Acquire(gc_owner)) return base::Status::Ok();
  blocks::SegmentWriter out(deps->fs, deps->data_dir, gc_owner, deps->segment_bytes);
  for (const Candidate& c : candidates) {
    auto size = deps->fs->FileSize(base::JoinPath(deps->data_dir, c.file));
    if (!size.ok() || c.live_bytes * 2 >= *size) continue;
    const std::string name = c.file.substr(c.file.rfind('/') + 1);
    if (!locks->Acquire(blocks::OwnerOfFileName(name))) {
      ++stats->files_skipped;
      continue;
    }
    base::Status s = CompactSegment(deps, c.id, c.file, &out, stats);
    if (s.code() == base::StatusCode::kCorruption) continue;  // left in place for resume to report
    RETURN_IF_ERROR(s);
    // The old file's size was counted as reclaimed; its live bytes moved.
    stats->bytes_reclaimed -= std::min<uint64_t>(stats->bytes_reclaimed, c.live_bytes);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<GcStats> Store::Gc() {
  StoreDeps* deps = &impl_->deps;
  GcStats stats;
  std::set<std::string> dead_files;
  RETURN_IF_ERROR(DeleteUnreachable(deps, &stats, &dead_files));
  OwnerLocks locks(deps);
  for (const std::string& rel : dead_files) {
    // Committed rows name these files, so no writer is writing them; the
    // lock check is only belt and braces for a segment still being filled.
    if (rel.starts_with(blocks::kSegmentDir) &&
        !locks.Acquire(blocks::OwnerOfFileName(rel.substr(rel.rfind('/') + 1)))) {
      ++stats.files_skipped;
      continue;
    }
    RETURN_IF_ERROR(RemoveFile(deps, rel, &stats));
  }
  RETURN_IF_ERROR(RemoveOrphans(deps, &locks, &stats));
  RETURN_IF_ERROR(CompactSegments(deps, &locks, &stats));
  RETURN_IF_ERROR(RemoveStaleLocks(deps, &locks, &stats));
  return stats;
}

}  // namespace sessions
