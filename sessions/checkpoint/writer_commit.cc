// Step 3 of the checkpoint protocol: the one transaction that publishes.
#include <string>
#include <vector>

#include "sessions/checkpoint/block_runs.h"

#include "sessions/checkpoint/writer_state.h"

namespace sessions::internal {

// Inside Commit's transaction, after the new blocks' rows exist. A block
// this checkpoint wrote takes its location from its blocks row, not from
// the append: when another session committed the same key first, the
// INSERT OR IGNORE kept that copy, and a run entry must always agree with
// the blocks table (gc reasons about blocks rows and patches entries by key).
base::Status WriterState::InsertRuns(int64_t checkpoint_id, std::span<const NewMapping> mappings) {
  db::Db* db = deps_->db.get();
  ASSIGN_OR_RETURN(db::Stmt where, db->Prepare("SELECT segment_id, offset, length, crc, hot_length, hot_crc, cold_crc"
                                               " FROM blocks WHERE key = ?1"));
  ASSIGN_OR_RETURN(db::Stmt ins, db->Prepare("INSERT INTO checkpoint_block_runs(checkpoint_id, layer, first_idx,"
                                             " entries) VALUES(?1, ?2, ?3, ?4)"));
  std::vector<checkpoint::RunEntry> run;
  size_t first = 0;
  for (size_t i = 0; i <= mappings.size(); ++i) {
    const bool continues = i > first && i < mappings.size() && mappings[i].layer == mappings[first].layer &&
                           mappings[i].index == mappings[i - 1].index + 1;
    if (i > first && !continues) {
      ins.Reset();
      ins.Bind(1, checkpoint_id)
          .Bind(2, mappings[first].layer)
          .Bind(3, mappings[first].index)
          .BindBlob(4, checkpoint::EncodeRunEntries(run));
      RETURN_IF_ERROR(ins.Run());
      run.clear();
      first = i;
    }
    if (i == mappings.size()) break;
    const NewMapping& m = mappings[i];
    const blocks::BlockLocation& loc = m.location;
    if (m.segment_id != 0) {
      run.push_back({m.key, m.segment_id, loc.offset, loc.length, loc.crc, loc.hot_length, loc.hot_crc, loc.cold_crc});
      continue;
    }
    where.Reset();
    where.BindBlob(1, blocks::KeyToBytes(m.key));
    ASSIGN_OR_RETURN(bool row, where.Step());
    if (!row) return base::Internal("block " + m.key.ToHex() + " has no row after its insert");
    run.push_back({m.key, where.Int(0), static_cast<uint64_t>(where.Int(1)), static_cast<uint64_t>(where.Int(2)),
                   static_cast<uint32_t>(where.Int(3)), where.Int(4), static_cast<uint32_t>(where.Int(5)),
                   static_cast<uint32_t>(where.Int(6))});
  }
  return base::Status::Ok();
}

base::Result<int64_t> WriterState::Commit(const Pending& p) {
  db::Db* db = deps_->db.get();
  const int64_t now = deps_->clock->NowMicros();
  ASSIGN_OR_RETURN(auto txn, db::Transaction::Begin(db));

  // The writer lock keeps the head still, but check inside the
  // transaction anyway: a removed session must not get a checkpoint, and a
  // head that moved means the lock protocol was broken.
  {
    ASSIGN_OR_RETURN(db::Stmt stmt, db->Prepare("SELECT head_checkpoint FROM sessions WHERE id = ?1"));
    stmt.Bind(1, session_.id);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return base::NotFound("session " + session_.id + " was removed");
    const int64_t head = stmt.IsNull(0) ? 0 : stmt.Int(0);
    if (head != head_) {
      return base::FailedPrecondition("session " + session_.id + " head moved under its writer (expected checkpoint " +
                                      std::to_string(head_) + ", found " + std::to_string(head) + ")");
    }
  }
  {
    ASSIGN_OR_RETURN(db::Stmt seg, db->Prepare("INSERT OR IGNORE INTO segments(file, created_us) VALUES(?1, ?2)"));
    ASSIGN_OR_RETURN(db::Stmt blk,
                     db->Prepare("INSERT OR IGNORE INTO blocks(key, segment_id, offset, length, crc, hot_length,"
                                 " hot_crc, cold_crc) SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8 FROM segments WHERE file = ?2"));
    for (const NewBlock& b : p.new_blocks) {
      seg.Reset();
      seg.Bind(1, b.location.file).Bind(2, now);
      RETURN_IF_ERROR(seg.Run());
      blk.Reset();
      blk.BindBlob(1, blocks::KeyToBytes(b.key))
          .Bind(2, b.location.file)
          .Bind(3, static_cast<int64_t>(b.location.offset))
          .Bind(4, static_cast<int64_t>(b.location.length))
          .Bind(5, static_cast<int64_t>(b.location.crc))
          .Bind(6, b.location.hot_length)
          .Bind(7, static_cast<int64_t>(b.location.hot_crc))
          .Bind(8, static_cast<int64_t>(b.location.cold_crc));
      RETURN_IF_ERROR(blk.Run());
    }
  }
  int64_t event_seq = 0;
  {
    ASSIGN_OR_RETURN(db::Stmt stmt, db->Prepare("SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?1"));
    stmt.Bind(1, session_.id);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) event_seq = stmt.Int(0);
  }
  {
    ASSIGN_OR_RETURN(db::Stmt stmt,
                     db->Prepare("INSERT INTO checkpoints(session_id, seq, parent_id, n_past, history_base, tokens,"
                                 " live_file, live_bytes, live_crc, sampler, event_seq, new_blocks, created_us)"
                                 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    stmt.Bind(1, session_.id)
        .Bind(2, next_seq_)
        .BindOptional(3, head_ == 0 ? std::nullopt : std::optional<int64_t>(head_))
        .Bind(4, static_cast<int64_t>(p.history.size()))
        .Bind(5, p.history_base)
        .BindBlob(6, checkpoint::EncodeTokens(p.history.subspan(static_cast<size_t>(p.history_base))))
        .Bind(7, p.live.file)
        .Bind(8, static_cast<int64_t>(p.live.bytes))
        .Bind(9, static_cast<int64_t>(p.live.crc))
        .BindBlob(10, checkpoint::EncodeSampler(p.sampler))
        .Bind(11, event_seq)
        .Bind(12, static_cast<int64_t>(p.new_blocks.size()))
        .Bind(13, now);
    RETURN_IF_ERROR(stmt.Run());
  }
  const int64_t id = db->LastInsertRowId();
  RETURN_IF_ERROR(InsertRuns(id, p.mappings));
  {
    ASSIGN_OR_RETURN(db::Stmt stmt,
                     db->Prepare("UPDATE sessions SET head_checkpoint = ?1, updated_us = ?2 WHERE id = ?3"));
    stmt.Bind(1, id).Bind(2, now).Bind(3, session_.id);
    RETURN_IF_ERROR(stmt.Run());
  }
  RETURN_IF_ERROR(txn->Commit().WithContext("committing checkpoint of session " + session_.id));
  return id;
}

}  // namespace sessions::internal
