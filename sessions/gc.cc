// Store::Gc: reclaims what no session reaches.
//
// 1. One transaction deletes checkpoints that no session reaches (a
//    session reaches its own checkpoints and their ancestor chains, which
//    for a fork run into its parent's), the block rows no remaining
//    checkpoint maps, and segment rows that hold no block row, no delta
//    and no block a delta names.
// 2. Files of deleted rows are removed after the commit; a crash between
//    leaves orphans that step 3 of the next gc removes.
// 3. Orphan files (no row names them) are removed, but only while their
//    owner session's writer lock is free: an open writer's in-flight
//    segment or live state is not an orphan yet.
// 4. Segments less than half live are compacted (gc_compact.cc).
// 5. Lock files of removed sessions are deleted.
#include <algorithm>
#include <map>
#include <set>

#include "sessions/blocks/segment.h"
#include "sessions/checkpoint/block_runs.h"
#include "sessions/checkpoint/live_file.h"
#include "sessions/core/gc_internal.h"
#include "sessions/core/store_impl.h"
#include "sessions/util/bytes.h"

namespace sessions {
namespace internal {

bool OwnerLocks::Acquire(const std::string& owner) {
  if (owner.empty()) return false;
  if (held_.count(owner)) return true;
  if (busy_.count(owner)) return false;
  auto lock = TryLockSessionId(deps_, owner);
  if (!lock.ok() || !*lock) {
    busy_.insert(owner);
    return false;
  }
  held_.emplace(owner, std::move(lock).value());
  return true;
}

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

base::Result<std::vector<StoredDelta>> ListDeltas(db::Db* db, int64_t after_id) {
  ASSIGN_OR_RETURN(db::Stmt st, db->Prepare("SELECT c.id, s.file, c.delta_offset, c.delta_length, c.delta_crc"
                                            " FROM checkpoints c JOIN segments s ON s.id = c.delta_segment"
                                            " WHERE c.id > ?1 ORDER BY c.id"));
  st.Bind(1, after_id);
  std::vector<StoredDelta> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back({st.Int(0),
                   {st.Text(1), static_cast<uint64_t>(st.Int(2)), static_cast<uint64_t>(st.Int(3)),
                    static_cast<uint32_t>(st.Int(4))}});
  }
}

base::Result<std::unique_ptr<ReadDelta>> LoadDelta(blocks::SegmentReader* reader, const StoredDelta& d) {
  const auto context = [&] {
    return "checkpoint " + std::to_string(d.checkpoint_id) + "'s delta; gc stopped (remove the session that owns it " +
           "to reclaim its space)";
  };
  auto read = std::make_unique<ReadDelta>();
  auto bytes = reader->Read(d.where);
  if (!bytes.ok()) {
    // Deleting blocks on a guess could destroy what a session needs.
    return base::Corruption(bytes.status().message()).WithContext(context());
  }
  read->bytes = *std::move(bytes);
  auto view = checkpoint::ParseDelta(read->bytes);
  if (!view.ok()) return view.status().WithContext(context());
  read->view = *std::move(view);
  return read;
}

}  // namespace internal

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

// Inside DeleteUnreachable's transaction, after unreachable checkpoints are
// gone. temp.gc_keys: the key of every block a remaining checkpoint maps,
// from checkpoint_blocks rows (schema 2), run entries (schema 3) and
// deltas (schema 4). temp.gc_segments: the segments deltas live in or name
// a block in.
base::Status CollectReachable(StoreDeps* deps) {
  db::Db* db = deps->db.get();
  RETURN_IF_ERROR(db->Exec("DROP TABLE IF EXISTS temp.gc_keys;"
                           "DROP TABLE IF EXISTS temp.gc_segments;"
                           "CREATE TEMP TABLE gc_keys(key BLOB PRIMARY KEY) WITHOUT ROWID;"
                           "CREATE TEMP TABLE gc_segments(id INTEGER PRIMARY KEY);"
                           "INSERT OR IGNORE INTO temp.gc_keys SELECT block_key FROM checkpoint_blocks;"
                           "INSERT OR IGNORE INTO temp.gc_segments SELECT delta_segment FROM checkpoints"
                           " WHERE delta_segment IS NOT NULL;"));
  ASSIGN_OR_RETURN(db::Stmt ins, db->Prepare("INSERT OR IGNORE INTO temp.gc_keys(key) VALUES(?1)"));
  const auto add_key = [&](const blocks::BlockKey& key) {
    ins.Reset();
    ins.BindBlob(1, blocks::KeyToBytes(key));
    return ins.Run();
  };
  {
    ASSIGN_OR_RETURN(db::Stmt runs, db->Prepare("SELECT checkpoint_id, entries FROM checkpoint_block_runs"));
    std::vector<checkpoint::RunEntry> entries;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, runs.Step());
      if (!row) break;
      entries.clear();
      if (!checkpoint::DecodeRunEntries(runs.Blob(1), &entries)) {
        // Deleting blocks on a guess could destroy what a session needs.
        return base::Corruption("checkpoint " + std::to_string(runs.Int(0)) + ": malformed block run; gc stopped");
      }
      for (const checkpoint::RunEntry& e : entries) RETURN_IF_ERROR(add_key(e.key));
    }
  }
  ASSIGN_OR_RETURN(const std::vector<internal::StoredDelta> deltas, internal::ListDeltas(db, 0));
  blocks::SegmentReader reader(deps->fs, deps->data_dir);
  std::set<std::string> named_files;
  for (const internal::StoredDelta& d : deltas) {
    ASSIGN_OR_RETURN(std::unique_ptr<internal::ReadDelta> read, internal::LoadDelta(&reader, d));
    std::vector<bool> used(read->view.files.size(), false);
    for (const checkpoint::DeltaView::Run& run : read->view.runs) {
      for (size_t i = 0; i < run.count(); ++i) {
        const checkpoint::DeltaEntry e = checkpoint::DeltaEntryAt(run.entries, i);
        RETURN_IF_ERROR(add_key(e.key));
        used[e.file] = true;
      }
    }
    for (size_t f = 0; f < used.size(); ++f) {
      if (used[f]) named_files.emplace(read->view.files[f]);
    }
  }
  ASSIGN_OR_RETURN(db::Stmt seg, db->Prepare("INSERT OR IGNORE INTO temp.gc_segments SELECT id FROM segments"
                                             " WHERE file = ?1"));
  for (const std::string& file : named_files) {
    seg.Reset();
    seg.Bind(1, file);
    RETURN_IF_ERROR(seg.Run());
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
  RETURN_IF_ERROR(CollectReachable(deps));
  RETURN_IF_ERROR(db->Exec("DELETE FROM blocks WHERE key NOT IN (SELECT key FROM temp.gc_keys)"));
  stats->blocks_removed = db->Changes();
  constexpr char kDeadSegments[] =
      " FROM segments WHERE id NOT IN (SELECT segment_id FROM blocks) AND id NOT IN (SELECT id FROM temp.gc_segments)";
  ASSIGN_OR_RETURN(auto segment_files, Strings(db, std::string("SELECT file") + kDeadSegments));
  RETURN_IF_ERROR(db->Exec(std::string("DELETE") + kDeadSegments));
  stats->segments_removed = db->Changes();
  RETURN_IF_ERROR(db->Exec("DROP TABLE temp.gc_live; DROP TABLE temp.gc_keys; DROP TABLE temp.gc_segments"));
  RETURN_IF_ERROR(txn->Commit());
  dead_files->insert(live_files.begin(), live_files.end());
  dead_files->insert(segment_files.begin(), segment_files.end());
  return base::Status::Ok();
}

base::Status RemoveOrphans(StoreDeps* deps, internal::OwnerLocks* locks, GcStats* stats) {
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
      if (!referenced) RETURN_IF_ERROR(internal::RemoveFile(deps, rel, stats));
    }
  }
  return base::Status::Ok();
}

// Lock and pid files of sessions that no longer exist. Deleting a lock
// file is safe only because no writer can want a removed session's lock.
base::Status RemoveStaleLocks(StoreDeps* deps, internal::OwnerLocks* locks, GcStats* stats) {
  const std::string dir = base::JoinPath(deps->data_dir, internal::kLockDir);
  auto names = deps->fs->ListDir(dir);
  if (!names.ok()) return base::Status::Ok();
  ASSIGN_OR_RETURN(auto ids, Strings(deps->db.get(), "SELECT id FROM sessions"));
  for (const std::string& name : *names) {
    if (!name.ends_with(".lock")) continue;
    const std::string id = name.substr(0, name.size() - 5);
    if (ids.count(id) || !locks->Acquire(id)) continue;
    RETURN_IF_ERROR(internal::RemoveFile(deps, std::string(internal::kLockDir) + "/" + name + ".pid", stats));
    RETURN_IF_ERROR(internal::RemoveFile(deps, std::string(internal::kLockDir) + "/" + name, stats));
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<GcStats> Store::Gc() {
  StoreDeps* deps = &impl_->deps;
  GcStats stats;
  std::set<std::string> dead_files;
  RETURN_IF_ERROR(DeleteUnreachable(deps, &stats, &dead_files));
  internal::OwnerLocks locks(deps);
  for (const std::string& rel : dead_files) {
    // Committed rows name these files, so no writer is writing them; the
    // lock check is only belt and braces for a segment still being filled.
    if (rel.starts_with(blocks::kSegmentDir) &&
        !locks.Acquire(blocks::OwnerOfFileName(rel.substr(rel.rfind('/') + 1)))) {
      ++stats.files_skipped;
      continue;
    }
    RETURN_IF_ERROR(internal::RemoveFile(deps, rel, &stats));
  }
  RETURN_IF_ERROR(RemoveOrphans(deps, &locks, &stats));
  RETURN_IF_ERROR(internal::CompactSegments(deps, &locks, &stats));
  RETURN_IF_ERROR(RemoveStaleLocks(deps, &locks, &stats));
  return stats;
}

}  // namespace sessions
