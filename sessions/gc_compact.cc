// gc step 4: segments less than half live are compacted. Their live
// extents (blocks with a row, and blocks a delta names) are copied to a new
// segment; every delta that lives in the old segment or names a block in
// it is rewritten there with the new locations (records are immutable);
// all of it is fsynced, then one transaction re-points the blocks rows,
// the deltas' checkpoint rows and older schemas' run rows and drops the
// old segment, whose file is removed last. A crash before the commit
// leaves the old files whole and the new ones orphaned.
#include <algorithm>
#include <map>
#include <optional>

#include "base/hash.h"
#include "sessions/checkpoint/block_runs.h"
#include "sessions/core/gc_internal.h"
#include "sessions/util/bytes.h"

namespace sessions::internal {
namespace {

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

// A stretch of the old segment that something still needs.
struct Extent {
  blocks::BlockKey key;
  blocks::BlockLocation from;
  bool has_row = false;  // a blocks row points here
};

// A delta to rewrite: it lives in the old segment or names a block in it.
struct Patch {
  int64_t checkpoint_id = 0;
  checkpoint::DeltaData data;
  blocks::BlockLocation to;
};

class SegmentCompaction {
 public:
  SegmentCompaction(StoreDeps* deps, int64_t segment_id, std::string file)
      : deps_(deps), segment_id_(segment_id), file_(std::move(file)), reader_(deps->fs, deps->data_dir) {}

  base::Status Run(blocks::SegmentWriter* out) {
    RETURN_IF_ERROR(CollectRows());
    RETURN_IF_ERROR(CollectDeltas());
    RETURN_IF_ERROR(Copy(out));
    RETURN_IF_ERROR(RewriteDeltas(out));
    RETURN_IF_ERROR(out->Sync());
    return Publish();
  }

 private:
  base::Status CollectRows() {
    ASSIGN_OR_RETURN(db::Stmt st, deps_->db->Prepare("SELECT key, offset, length, crc, hot_length, hot_crc, cold_crc"
                                                     " FROM blocks WHERE segment_id = ?1"));
    st.Bind(1, segment_id_);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return base::Status::Ok();
      Extent e;
      if (!blocks::KeyFromBytes(st.Blob(0), &e.key)) return base::Corruption("malformed block key in segment " + file_);
      e.from = {file_,
                static_cast<uint64_t>(st.Int(1)),
                static_cast<uint64_t>(st.Int(2)),
                static_cast<uint32_t>(st.Int(3)),
                st.Int(4),
                static_cast<uint32_t>(st.Int(5)),
                static_cast<uint32_t>(st.Int(6))};
      e.has_row = true;
      extents_.emplace(e.from.offset, e);
    }
  }

  base::Status CollectDeltas() {
    ASSIGN_OR_RETURN(const std::vector<StoredDelta> deltas, ListDeltas(deps_->db.get(), 0));
    for (const StoredDelta& d : deltas) {
      scanned_[d.checkpoint_id] = {d.where, false};
      ASSIGN_OR_RETURN(std::unique_ptr<ReadDelta> read, LoadDelta(&reader_, d));
      const checkpoint::DeltaView& view = read->view;
      std::optional<uint32_t> here;  // the old segment's index in the record's file table
      for (size_t f = 0; f < view.files.size(); ++f) {
        if (view.files[f] == file_) here = static_cast<uint32_t>(f);
      }
      if (!here && d.where.file != file_) continue;
      if (here) {
        for (const checkpoint::DeltaView::Run& run : view.runs) {
          for (size_t i = 0; i < run.count(); ++i) {
            const checkpoint::DeltaEntry e = checkpoint::DeltaEntryAt(run.entries, i);
            if (e.file != *here || extents_.count(e.offset)) continue;
            // Shared under a key whose row points elsewhere (two writers
            // stored it at once): the delta's copy is the one it resumes.
            extents_.emplace(e.offset, Extent{e.key, checkpoint::LocationOf(e, file_), false});
          }
        }
      }
      patches_.push_back({d.checkpoint_id, checkpoint::ToData(view), {}});
      scanned_[d.checkpoint_id].patched = true;
    }
    return base::Status::Ok();
  }

  base::Status Copy(blocks::SegmentWriter* out) {
    for (auto& [offset, e] : extents_) {
      // A corrupt block is left where it is (with its segment): resume
      // reports it; gc must not launder it into a fresh CRC.
      ASSIGN_OR_RETURN(std::string payload, reader_.Read(e.from));
      ASSIGN_OR_RETURN(blocks::BlockLocation to, out->Append(e.key, payload, e.from.hot_length));
      moved_.emplace(offset, std::move(to));
    }
    return base::Status::Ok();
  }

  base::Status RewriteDeltas(blocks::SegmentWriter* out) {
    for (Patch& p : patches_) {
      checkpoint::DeltaData& data = p.data;
      const auto here = std::find(data.files.begin(), data.files.end(), file_);
      const auto old_index = static_cast<uint32_t>(here - data.files.begin());
      std::vector<checkpoint::DeltaEntry*> moving;
      for (checkpoint::DeltaData::Run& run : data.runs) {
        for (checkpoint::DeltaEntry& e : run.entries) {
          if (here != data.files.end() && e.file == old_index) moving.push_back(&e);
        }
      }
      for (checkpoint::DeltaEntry* e : moving) {
        const blocks::BlockLocation& to = moved_.at(e->offset);  // every such extent was copied
        e->file = data.FileIndex(to.file);
        e->offset = to.offset;
      }
      DropUnusedFiles(&data);
      const std::string record = checkpoint::EncodeDelta(data);
      ASSIGN_OR_RETURN(p.to, out->Append(base::Hash128(record.data(), record.size()), record));
    }
    return base::Status::Ok();
  }

  // Inside Publish's transaction: whether a delta row changed since the
  // scan in a way the rewrite would get wrong. A new checkpoint (or one
  // another gc re-pointed) that names the old segment shares a block the
  // scan did not see; a delta this compaction rewrites must still be the
  // one it read. Either way the segment is left for the next gc.
  base::Result<bool> ChangedSinceScan() {
    ASSIGN_OR_RETURN(const std::vector<StoredDelta> deltas, ListDeltas(deps_->db.get(), 0));
    for (const StoredDelta& d : deltas) {
      const auto seen = scanned_.find(d.checkpoint_id);
      if (seen != scanned_.end() && seen->second.where.file == d.where.file &&
          seen->second.where.offset == d.where.offset && seen->second.where.crc == d.where.crc) {
        continue;
      }
      if (seen != scanned_.end() && seen->second.patched) return true;
      if (d.where.file == file_) return true;
      ASSIGN_OR_RETURN(std::unique_ptr<ReadDelta> read, LoadDelta(&reader_, d));
      for (std::string_view f : read->view.files) {
        if (f == file_) return true;
      }
    }
    return false;
  }

  static void DropUnusedFiles(checkpoint::DeltaData* data) {
    std::vector<uint32_t> remap(data->files.size(), UINT32_MAX);
    std::vector<std::string> kept;
    for (checkpoint::DeltaData::Run& run : data->runs) {
      for (checkpoint::DeltaEntry& e : run.entries) {
        if (remap[e.file] == UINT32_MAX) {
          remap[e.file] = static_cast<uint32_t>(kept.size());
          kept.push_back(data->files[e.file]);
        }
        e.file = remap[e.file];
      }
    }
    data->files = std::move(kept);
  }

  base::Status Publish() {
    db::Db* db = deps_->db.get();
    ASSIGN_OR_RETURN(auto txn, db::Transaction::Begin(db));
    ASSIGN_OR_RETURN(const bool raced, ChangedSinceScan());
    if (raced) return base::Busy("a checkpoint committed during compaction shares blocks of " + file_);
    const int64_t now = deps_->clock->NowMicros();
    ASSIGN_OR_RETURN(db::Stmt seg, db->Prepare("INSERT OR IGNORE INTO segments(file, created_us) VALUES(?1, ?2)"));
    const auto add_segment = [&](const std::string& file) {
      seg.Reset();
      seg.Bind(1, file).Bind(2, now);
      return seg.Run();
    };
    ASSIGN_OR_RETURN(db::Stmt upd, db->Prepare("UPDATE blocks SET segment_id = (SELECT id FROM segments WHERE file = ?2),"
                                               " offset = ?3 WHERE key = ?1 AND segment_id = ?4"));
    for (const auto& [offset, e] : extents_) {
      const blocks::BlockLocation& to = moved_.at(offset);
      RETURN_IF_ERROR(add_segment(to.file));
      if (!e.has_row) continue;
      upd.Reset();
      upd.BindBlob(1, blocks::KeyToBytes(e.key)).Bind(2, to.file).Bind(3, static_cast<int64_t>(to.offset));
      upd.Bind(4, segment_id_);
      RETURN_IF_ERROR(upd.Run());
    }
    ASSIGN_OR_RETURN(db::Stmt cp, db->Prepare("UPDATE checkpoints SET delta_segment ="
                                              " (SELECT id FROM segments WHERE file = ?2), delta_offset = ?3,"
                                              " delta_length = ?4, delta_crc = ?5 WHERE id = ?1"));
    for (const Patch& p : patches_) {
      RETURN_IF_ERROR(add_segment(p.to.file));
      cp.Reset();
      cp.Bind(1, p.checkpoint_id).Bind(2, p.to.file).Bind(3, static_cast<int64_t>(p.to.offset));
      cp.Bind(4, static_cast<int64_t>(p.to.length)).Bind(5, static_cast<int64_t>(p.to.crc));
      RETURN_IF_ERROR(cp.Run());
    }
    RETURN_IF_ERROR(RepointRuns(db, segment_id_));
    ASSIGN_OR_RETURN(db::Stmt del, db->Prepare("DELETE FROM segments WHERE id = ?1"));
    del.Bind(1, segment_id_);
    RETURN_IF_ERROR(del.Run());
    return txn->Commit();
  }

  StoreDeps* deps_;
  int64_t segment_id_;
  std::string file_;
  blocks::SegmentReader reader_;
  std::map<uint64_t, Extent> extents_;  // by offset in the old segment
  std::map<uint64_t, blocks::BlockLocation> moved_;
  std::vector<Patch> patches_;
  struct Seen {
    blocks::BlockLocation where;
    bool patched = false;
  };
  std::map<int64_t, Seen> scanned_;  // checkpoint id -> its delta when scanned
};

}  // namespace

base::Status CompactSegments(StoreDeps* deps, OwnerLocks* locks, GcStats* stats) {
  struct Candidate {
    int64_t id;
    std::string file;
    uint64_t live_bytes;
  };
  std::vector<Candidate> candidates;
  {
    ASSIGN_OR_RETURN(db::Stmt st, deps->db->Prepare(
                                      "SELECT s.id, s.file,"
                                      " COALESCE((SELECT SUM(length) + COUNT(*) * ?1 FROM blocks"
                                      "           WHERE segment_id = s.id), 0) +"
                                      " COALESCE((SELECT SUM(delta_length) + COUNT(*) * ?1 FROM checkpoints"
                                      "           WHERE delta_segment = s.id), 0)"
                                      " FROM segments s"));
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
    base::Status s = SegmentCompaction(deps, c.id, c.file).Run(&out);
    // Left in place: a corrupt block for resume to report, or a segment a
    // checkpoint started sharing meanwhile (the next gc sees it).
    if (s.code() == base::StatusCode::kCorruption || s.code() == base::StatusCode::kBusy) continue;
    RETURN_IF_ERROR(s);
    ++stats->segments_compacted;
    RETURN_IF_ERROR(RemoveFile(deps, c.file, stats));
    // The old file's size was counted as reclaimed; its live bytes moved.
    stats->bytes_reclaimed -= std::min<uint64_t>(stats->bytes_reclaimed, c.live_bytes);
  }
  return base::Status::Ok();
}

}  // namespace sessions::internal
