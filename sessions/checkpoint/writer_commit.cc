// Step 3 of the checkpoint protocol: the one transaction that publishes.
#include <string>
#include <vector>

#include "sessions/checkpoint/writer_state.h"

namespace sessions::internal {

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
    ASSIGN_OR_RETURN(db::Stmt exists, db->Prepare("SELECT 1 FROM segments WHERE file = ?1"));
    for (const std::string& file : p.shared_files) {
      exists.Reset();
      exists.Bind(1, file);
      ASSIGN_OR_RETURN(bool row, exists.Step());
      if (!row) return base::Busy("gc compacted " + file + ", which this checkpoint shares blocks from");
    }
  }
  {
    ASSIGN_OR_RETURN(db::Stmt seg, db->Prepare("INSERT OR IGNORE INTO segments(file, created_us) VALUES(?1, ?2)"));
    ASSIGN_OR_RETURN(db::Stmt blk,
                     db->Prepare("INSERT OR IGNORE INTO blocks(key, segment_id, offset, length, crc, hot_length,"
                                 " hot_crc, cold_crc) SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8 FROM segments WHERE file = ?2"));
    // The delta's segment may hold no new block (a checkpoint that only
    // shares, or a segment that rotated): it needs its row all the same.
    seg.Bind(1, p.delta.file).Bind(2, now);
    RETURN_IF_ERROR(seg.Run());
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
                                 " live_file, live_bytes, live_crc, sampler, event_seq, new_blocks, created_us,"
                                 " delta_segment, delta_offset, delta_length, delta_crc)"
                                 " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, id, ?15, ?16, ?17"
                                 " FROM segments WHERE file = ?14"));
    stmt.Bind(1, session_.id)
        .Bind(2, next_seq_)
        .BindOptional(3, head_ == 0 ? std::nullopt : std::optional<int64_t>(head_))
        .Bind(4, static_cast<int64_t>(p.history.size()))
        .Bind(5, p.history_base)
        .BindBlob(6, std::string())  // the tokens are in the delta
        .Bind(7, p.live.file)
        .Bind(8, static_cast<int64_t>(p.live.bytes))
        .Bind(9, static_cast<int64_t>(p.live.crc))
        .BindBlob(10, checkpoint::EncodeSampler(p.sampler))
        .Bind(11, event_seq)
        .Bind(12, static_cast<int64_t>(p.new_blocks.size()))
        .Bind(13, now)
        .Bind(14, p.delta.file)
        .Bind(15, static_cast<int64_t>(p.delta.offset))
        .Bind(16, static_cast<int64_t>(p.delta.length))
        .Bind(17, static_cast<int64_t>(p.delta.crc));
    RETURN_IF_ERROR(stmt.Run());
    if (db->Changes() != 1) return base::Internal("the checkpoint's delta segment " + p.delta.file + " has no row");
  }
  const int64_t id = db->LastInsertRowId();
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
