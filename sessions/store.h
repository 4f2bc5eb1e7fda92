// sessions/: the persistent session store (DESIGN.md section 5).
//
// One SQLite database (WAL) per data directory indexes sessions, their
// event log, checkpoints and closed KV blocks. Block bytes live in
// append-only segment files (blocks/), beside each checkpoint's delta (its
// new tokens and block mappings, which a resume maps in place); each
// checkpoint's live KV state lives in its own file (live/). A checkpoint writes only what is new since the
// previous one, fsyncs it, then publishes it in one SQLite transaction:
// a crash at any instant leaves the last committed checkpoint whole, and
// Store::Gc() reclaims what failed checkpoints and removed sessions left.
//
// Threading: a Store, and the SessionWriters it opened, are used by one
// thread at a time; a writer must not outlive its Store. Any number of
// Stores (in any number of processes) may open the same data directory.
// Each session has at most one SessionWriter at a time across all of them
// (a lock file, released by the OS when a process dies, even by SIGKILL);
// readers (Find, List, Load, ...) need no lock. Gc() may run beside them:
// a resume that finds a block moved by a concurrent compaction re-reads
// the index and retries once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/filesystem.h"
#include "base/status.h"
#include "engine/engine.h"

namespace sessions {

namespace internal {
class KvState;  // the engine seam (sessions/checkpoint/kv_state.h)
class WriterState;
}  // namespace internal

struct StoreOptions {
  std::string data_dir;                  // required; DefaultDataDir() is the usual one
  base::FileSystem* fs = nullptr;        // segment, live-state and lock files; default: the real disk
  base::Clock* clock = nullptr;          // timestamps and durations; default: the system clock
  uint64_t segment_bytes = 64ull << 20;  // a segment file is sealed past this size
  int busy_timeout_ms = 5000;            // how long SQLite waits for another process's transaction
};

// $XDG_DATA_HOME/longhaul, else $HOME/.local/share/longhaul; empty when
// neither variable is set.
std::string DefaultDataDir();

struct SessionInfo {
  std::string id;    // 16 hex digits
  std::string name;  // empty when unnamed
  std::string title;
  std::string repo;
  std::string model_fingerprint;
  std::string model_path;
  std::string policy;           // canonical KV policy text
  std::string parent_id;        // the forked-from session; empty if none
  int64_t fork_checkpoint = 0;  // checkpoint id forked from; 0 if none
  int64_t head_checkpoint = 0;  // 0 until the first checkpoint
  std::string status;
  int64_t created_us = 0;
  int64_t updated_us = 0;
  int64_t n_tokens = 0;       // tokens at the head checkpoint
  int64_t n_checkpoints = 0;  // this session's own checkpoints
  int64_t n_events = 0;
};

struct CheckpointInfo {
  int64_t id = 0;          // store-wide; what `fork --at` takes
  std::string session_id;  // the session that wrote it
  int64_t seq = 0;
  int64_t parent_id = 0;
  int64_t n_past = 0;
  int64_t new_blocks = 0;
  uint64_t live_bytes = 0;
  int64_t event_seq = 0;
  int64_t created_us = 0;
};

struct Event {
  std::string session_id;  // the session that logged it (an ancestor's, for inherited events)
  int64_t seq = 0;         // within that session
  std::string kind;
  std::string payload;  // JSON
  int64_t created_us = 0;
};

// What a resumed sampler needs to draw exactly what the original would.
struct SamplerState {
  std::array<uint64_t, 4> rng{};
};

struct CreateSessionOptions {
  std::string name{};  // optional, unique in the store
  std::string title{};
  std::string repo{};
  std::string model_path{};
};

struct CheckpointStats {
  int64_t checkpoint_id = 0;
  int64_t n_past = 0;
  int64_t new_blocks = 0;      // block payloads written to segments
  int64_t shared_blocks = 0;   // newly reached blocks that were already stored
  uint64_t bytes_written = 0;  // segment + live-state bytes (SQLite's own not counted)
  double seconds = 0;
};

struct RestoredSession {
  int64_t checkpoint_id = 0;     // 0: the session had no checkpoint; nothing was restored
  std::vector<int32_t> history;  // the tokens whose KV the context now holds
  SamplerState sampler;
  int64_t blocks_loaded = 0;
  uint64_t bytes_read = 0;    // the live state, read and checked now
  uint64_t bytes_mapped = 0;  // blocks left in the mapped segments, checked on first use
  double seconds = 0;
};

struct ForkOptions {
  std::optional<int64_t> at_checkpoint{};  // default: the source's head
  std::string name{};
};

struct GcStats {
  int64_t checkpoints_removed = 0;
  int64_t blocks_removed = 0;
  int64_t segments_removed = 0;
  int64_t segments_compacted = 0;
  int64_t files_removed = 0;  // orphan segment and live-state files
  uint64_t bytes_reclaimed = 0;
  int64_t files_skipped = 0;  // owned by a session open for writing now
};

class Store;

// The single writer of one session. Holds the session's lock until destroyed.
class SessionWriter {
 public:
  ~SessionWriter();
  SessionWriter(const SessionWriter&) = delete;
  SessionWriter& operator=(const SessionWriter&) = delete;

  const SessionInfo& info() const { return info_; }

  // Loads the head checkpoint into `ctx` (no prefill). Checks the model
  // fingerprint and the KV policy against the session's, and the CRCs of
  // the live state and of every block's hot part; cold payloads stay in
  // the mapped segment files and the engine checks each one's CRC when it
  // first reads it (a bad one fails that Eval with Corruption). With no
  // checkpoint yet it returns checkpoint_id 0 and leaves `ctx` alone.
  base::Result<RestoredSession> Restore(engine::Context* ctx);

  // Loads an earlier checkpoint of this session into `ctx` (an undo):
  // NotFound unless the session reaches it. The next Checkpoint then
  // stores what differs from the head, as after any other change.
  base::Result<RestoredSession> RestoreAt(int64_t checkpoint_id, engine::Context* ctx);

  // Publishes the state of `ctx`, whose KV holds exactly `history`.
  // Writes only blocks no earlier checkpoint of this chain reached, plus
  // the live state; fsyncs; then commits. On failure the previous head
  // stays the head and the next call starts clean.
  base::Result<CheckpointStats> Checkpoint(const engine::Context& ctx, std::span<const int32_t> history,
                                           const SamplerState& sampler);

  // Appends one event (kind, JSON payload) in its own transaction.
  base::Status AppendEvent(std::string_view kind, std::string_view json_payload);

  // The same operations against the engine seam (tests use a fake).
  base::Result<RestoredSession> RestoreInto(internal::KvState* kv);
  base::Result<RestoredSession> RestoreAtInto(int64_t checkpoint_id, internal::KvState* kv);
  base::Result<CheckpointStats> CheckpointFrom(const internal::KvState& kv, std::span<const int32_t> history,
                                               const SamplerState& sampler);

 private:
  friend class Store;
  SessionWriter(Store* store, SessionInfo info, std::unique_ptr<base::FileLock> lock);

  Store* store_;
  SessionInfo info_;
  std::unique_ptr<base::FileLock> lock_;
  std::unique_ptr<internal::WriterState> state_;
};

class Store {
 public:
  // Opens (creating and migrating as needed) the store in options.data_dir.
  static base::Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  // By exact name, exact id, or a unique id prefix of at least 4 digits.
  base::Result<SessionInfo> Find(std::string_view name_or_id);
  // Newest first.
  base::Result<std::vector<SessionInfo>> List();
  // The checkpoints `session` wrote, oldest first.
  base::Result<std::vector<CheckpointInfo>> Checkpoints(std::string_view name_or_id);
  // The session's event log: for a fork, first what it inherits (each
  // ancestor's events up to the checkpoint the chain passes through, oldest
  // ancestor first; a removed ancestor's are gone), then its own.
  base::Result<std::vector<Event>> Events(std::string_view name_or_id);

  // A new session for `ctx`'s model and KV policy, opened for writing.
  base::Result<std::unique_ptr<SessionWriter>> Create(const engine::Context& ctx, const CreateSessionOptions& options);
  base::Result<std::unique_ptr<SessionWriter>> CreateFor(const internal::KvState& kv,
                                                         const CreateSessionOptions& options);
  // kBusy naming the session (and the holder's pid) if another writer has it.
  base::Result<std::unique_ptr<SessionWriter>> OpenWriter(std::string_view name_or_id);

  // Read-only restore of a session's head (or `at`, a checkpoint it
  // reaches) into `ctx`, taking no lock.
  base::Result<RestoredSession> Load(std::string_view name_or_id, engine::Context* ctx,
                                     std::optional<int64_t> at = std::nullopt);
  base::Result<RestoredSession> LoadInto(std::string_view name_or_id, internal::KvState* kv,
                                         std::optional<int64_t> at = std::nullopt);

  // O(1): a new session whose head is a checkpoint the source reaches.
  base::Result<SessionInfo> Fork(std::string_view name_or_id, const ForkOptions& options);
  // Deletes the session and its events. Its checkpoints and blocks stay
  // while another session's chain reaches them; Gc() frees the rest.
  base::Status Remove(std::string_view name_or_id);
  // Deletes checkpoints no session reaches, blocks no checkpoint reaches,
  // and orphan files; compacts segments that are mostly dead.
  base::Result<GcStats> Gc();

  const StoreOptions& options() const { return options_; }

 private:
  friend class SessionWriter;
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  // OK if `s` reaches checkpoint `checkpoint_id` (its own, or its chain's).
  base::Status CheckReaches(const SessionInfo& s, int64_t checkpoint_id);
  std::unique_ptr<Impl> impl_;
  StoreOptions options_;
};

}  // namespace sessions
