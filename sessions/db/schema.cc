#include "sessions/db/schema.h"

#include <string>
#include <vector>

namespace sessions::db {
namespace {

// Version 1. Notes on the design:
// - checkpoints.session_id is not a foreign key: `rm` deletes a session
//   but keeps its checkpoints while a fork's chain still runs through them;
//   gc deletes the ones nothing reaches.
// - A checkpoint stores only what is new since its parent checkpoint: the
//   tokens after history_base, and the (layer, idx) -> block mappings that
//   changed. Walking the parent chain gives the whole history and block
//   list, so a checkpoint writes O(new tokens) rows and bytes.
// - blocks are content-addressed (key = 16-byte hash of model, policy,
//   layer, index and token prefix) and shared by every checkpoint that
//   maps to them.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE segments(
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL UNIQUE,          -- relative to the data dir
  created_us INTEGER NOT NULL);

CREATE TABLE blocks(
  key BLOB PRIMARY KEY,
  segment_id INTEGER NOT NULL REFERENCES segments(id),
  offset INTEGER NOT NULL,            -- of the payload in the segment
  length INTEGER NOT NULL,
  crc INTEGER NOT NULL                -- CRC32C of the payload
) WITHOUT ROWID;
CREATE INDEX blocks_by_segment ON blocks(segment_id);

CREATE TABLE checkpoints(
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,               -- 1, 2, ... within the session
  parent_id INTEGER REFERENCES checkpoints(id),
  n_past INTEGER NOT NULL,
  history_base INTEGER NOT NULL,      -- tokens kept from the parent's history
  tokens BLOB NOT NULL,               -- history[history_base, n_past), int32 LE
  live_file TEXT NOT NULL,            -- relative to the data dir
  live_bytes INTEGER NOT NULL,
  live_crc INTEGER NOT NULL,
  sampler BLOB NOT NULL,
  event_seq INTEGER NOT NULL,         -- events [1, event_seq] precede it
  new_blocks INTEGER NOT NULL,        -- blocks this checkpoint wrote
  created_us INTEGER NOT NULL,
  UNIQUE(session_id, seq));
CREATE INDEX checkpoints_by_parent ON checkpoints(parent_id);

CREATE TABLE checkpoint_blocks(
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  block_key BLOB NOT NULL REFERENCES blocks(key),
  PRIMARY KEY(checkpoint_id, layer, idx)
) WITHOUT ROWID;
CREATE INDEX checkpoint_blocks_by_key ON checkpoint_blocks(block_key);

CREATE TABLE sessions(
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  title TEXT NOT NULL DEFAULT '',
  repo TEXT NOT NULL DEFAULT '',
  model_fingerprint TEXT NOT NULL,
  model_path TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL,
  parent_id TEXT,                     -- the forked-from session (may be gone)
  fork_checkpoint INTEGER REFERENCES checkpoints(id),
  head_checkpoint INTEGER REFERENCES checkpoints(id),
  status TEXT NOT NULL DEFAULT 'active',
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL);

CREATE TABLE events(
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,              -- JSON
  created_us INTEGER NOT NULL,
  PRIMARY KEY(session_id, seq)
) WITHOUT ROWID;
)sql";

// Version 2: each block's hot part (what a resume reads) and cold payload
// (checked by the engine when it first reads it) get their own CRC, so a
// resume maps segment files instead of reading every block. Blocks from
// version 1 keep hot_length -1; a resume refuses them with a clear error.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE blocks ADD COLUMN hot_length INTEGER NOT NULL DEFAULT -1;
ALTER TABLE blocks ADD COLUMN hot_crc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blocks ADD COLUMN cold_crc INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 3: a checkpoint's mappings are stored as runs of consecutive
// indices, each run's entries (key and location) packed in one blob
// (sessions/checkpoint/block_runs.h), so a resume reads a row per run, not
// a row per block. checkpoint_blocks stays readable for checkpoints
// written before; new ones write only runs.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE checkpoint_block_runs(
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  first_idx INTEGER NOT NULL,
  entries BLOB NOT NULL,              -- RunEntry x count, for idx first_idx...
  PRIMARY KEY(checkpoint_id, layer, first_idx)
) WITHOUT ROWID;
)sql";

// Version 4: a checkpoint's tokens and mappings move out of SQLite into
// one delta record in its writer's segment (sessions/checkpoint/delta.h),
// which a resume maps and reads in place; the row points at it. Rows of
// earlier versions keep their token blob and mapping rows, and stay
// readable. gc keeps a segment while any checkpoint's delta lives in it or
// names a block in it.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE checkpoints ADD COLUMN delta_segment INTEGER REFERENCES segments(id);
ALTER TABLE checkpoints ADD COLUMN delta_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkpoints ADD COLUMN delta_length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkpoints ADD COLUMN delta_crc INTEGER NOT NULL DEFAULT 0;
CREATE INDEX checkpoints_by_delta_segment ON checkpoints(delta_segment);
)sql";

const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4};
  return kMigrations;
}

base::Result<int> UserVersion(Db* db) {
  ASSIGN_OR_RETURN(Stmt stmt, db->Prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return base::Internal("PRAGMA user_version returned no row");
  return static_cast<int>(stmt.Int(0));
}

}  // namespace

int SchemaVersion() { return static_cast<int>(Migrations().size()); }

base::Status Migrate(Db* db) {
  // The common case, an up-to-date store, takes no write lock: readers
  // must not queue behind a writer's transaction just to open the store.
  ASSIGN_OR_RETURN(int current, UserVersion(db));
  if (current == SchemaVersion()) return base::Status::Ok();
  for (;;) {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db));
    // Read the version inside the write transaction: two processes opening
    // a fresh store at once must not both run migration 0.
    ASSIGN_OR_RETURN(int version, UserVersion(db));
    if (version > SchemaVersion()) {
      return base::FailedPrecondition("the session database has schema version " + std::to_string(version) +
                                      ", newer than this longhaul understands (" + std::to_string(SchemaVersion()) +
                                      ")");
    }
    if (version == SchemaVersion()) return base::Status::Ok();  // txn rolls back: nothing written
    RETURN_IF_ERROR(db->Exec(Migrations()[static_cast<size_t>(version)])
                        .WithContext("migrating the session database to version " + std::to_string(version + 1)));
    RETURN_IF_ERROR(db->Exec("PRAGMA user_version = " + std::to_string(version + 1)));
    RETURN_IF_ERROR(txn->Commit());
  }
}

}  // namespace sessions::db
