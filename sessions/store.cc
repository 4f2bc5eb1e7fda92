#include "sessions/store.h"

#include <cstdlib>
#include <utility>

#include "sessions/checkpoint/chain.h"
#include "sessions/checkpoint/kv_state.h"
#include "sessions/checkpoint/restore.h"
#include "sessions/core/session_rows.h"
#include "sessions/core/store_impl.h"
#include "sessions/db/schema.h"
#include "sessions/util/bytes.h"

namespace sessions {

std::string DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return base::JoinPath(xdg, "longhaul");
  if (const char* home = std::getenv("HOME"); home && *home) return base::JoinPath(home, ".local/share/longhaul");
  return "";
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

base::Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.data_dir.empty()) return base::InvalidArgument("the session store needs a data directory");
  auto impl = std::make_unique<Impl>();
  impl->deps.fs = options.fs ? options.fs : base::DefaultFileSystem();
  impl->deps.clock = options.clock ? options.clock : base::SystemClock();
  impl->deps.data_dir = options.data_dir;
  impl->deps.segment_bytes = options.segment_bytes;
  RETURN_IF_ERROR(impl->deps.fs->CreateDirs(options.data_dir));
  if (impl->deps.fs != base::DefaultFileSystem()) {
    // SQLite always lives on the real disk, whatever seam the files use.
    RETURN_IF_ERROR(base::DefaultFileSystem()->CreateDirs(options.data_dir));
  }
  const std::string db_path = base::JoinPath(options.data_dir, internal::kDbFile);
  ASSIGN_OR_RETURN(impl->deps.db, db::Db::Open(db_path, options.busy_timeout_ms));
  RETURN_IF_ERROR(db::Migrate(impl->deps.db.get()).WithContext(db_path));
  std::unique_ptr<Store> store(new Store(std::move(impl)));
  store->options_ = options;
  return store;
}

base::Result<SessionInfo> Store::Find(std::string_view name_or_id) {
  return internal::FindSession(impl_->deps.db.get(), name_or_id);
}

base::Result<std::vector<SessionInfo>> Store::List() { return internal::ListSessions(impl_->deps.db.get()); }

base::Result<std::vector<CheckpointInfo>> Store::Checkpoints(std::string_view name_or_id) {
  ASSIGN_OR_RETURN(SessionInfo s, Find(name_or_id));
  ASSIGN_OR_RETURN(db::Stmt st,
                   impl_->deps.db->Prepare("SELECT id, session_id, seq, COALESCE(parent_id, 0), n_past, new_blocks,"
                                           " live_bytes, event_seq, created_us FROM checkpoints WHERE session_id = ?1"
                                           " ORDER BY seq"));
  st.Bind(1, s.id);
  std::vector<CheckpointInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    CheckpointInfo c;
    c.id = st.Int(0);
    c.session_id = st.Text(1);
    c.seq = st.Int(2);
    c.parent_id = st.Int(3);
    c.n_past = st.Int(4);
    c.new_blocks = st.Int(5);
    c.live_bytes = static_cast<uint64_t>(st.Int(6));
    c.event_seq = st.Int(7);
    c.created_us = st.Int(8);
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

// Appends session `id`'s events with seq <= `last` (all if last < 0).
base::Status AppendEvents(db::Db* db, const std::string& id, int64_t last, std::vector<Event>* out) {
  ASSIGN_OR_RETURN(db::Stmt st, db->Prepare("SELECT seq, kind, payload, created_us FROM events WHERE session_id = ?1"
                                            " AND (?2 < 0 OR seq <= ?2) ORDER BY seq"));
  st.Bind(1, id).Bind(2, last);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out->push_back(Event{id, st.Int(0), st.Text(1), st.Text(2), st.Int(3)});
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<Event>> Store::Events(std::string_view name_or_id) {
  ASSIGN_OR_RETURN(SessionInfo s, Find(name_or_id));
  db::Db* db = impl_->deps.db.get();
  std::vector<Event> out;
  if (s.fork_checkpoint != 0) {
    // The fork point's chain runs through each ancestor's checkpoints; an
    // ancestor's events up to its newest checkpoint on the chain
    // (event_seq only grows along a session's chain) came before the fork.
    ASSIGN_OR_RETURN(db::Stmt st, db->Prepare("WITH RECURSIVE chain(id, depth) AS (SELECT ?1, 0 UNION ALL"
                                              " SELECT c.parent_id, chain.depth + 1 FROM checkpoints c"
                                              " JOIN chain ON c.id = chain.id WHERE c.parent_id IS NOT NULL)"
                                              " SELECT c.session_id, MAX(c.event_seq) FROM chain"
                                              " JOIN checkpoints c ON c.id = chain.id"
                                              " GROUP BY c.session_id ORDER BY MAX(chain.depth) DESC"));
    st.Bind(1, s.fork_checkpoint);
    std::vector<std::pair<std::string, int64_t>> cuts;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (st.Text(0) != s.id) cuts.emplace_back(st.Text(0), st.Int(1));
    }
    for (const auto& [id, last] : cuts) RETURN_IF_ERROR(AppendEvents(db, id, last, &out));
  }
  RETURN_IF_ERROR(AppendEvents(db, s.id, -1, &out));
  return out;
}

base::Result<std::unique_ptr<SessionWriter>> Store::Create(const engine::Context& ctx,
                                                           const CreateSessionOptions& options) {
  return CreateFor(*internal::ContextKvState(&ctx, nullptr), options);
}

base::Result<std::unique_ptr<SessionWriter>> Store::CreateFor(const internal::KvState& kv,
                                                              const CreateSessionOptions& options) {
  db::Db* db = impl_->deps.db.get();
  const int64_t now = impl_->deps.clock->NowMicros();
  SessionInfo s;
  s.id = util::RandomHex(16);
  s.name = options.name;
  s.title = options.title;
  s.repo = options.repo;
  s.model_fingerprint = kv.model_fingerprint();
  s.model_path = options.model_path;
  s.policy = kv.policy_text();
  s.status = "active";
  s.created_us = s.updated_us = now;
  ASSIGN_OR_RETURN(db::Stmt st, db->Prepare("INSERT INTO sessions(id, name, title, repo, model_fingerprint, model_path,"
                                            " policy, status, created_us, updated_us)"
                                            " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"));
  st.Bind(1, s.id).Bind(3, s.title).Bind(4, s.repo).Bind(5, s.model_fingerprint).Bind(6, s.model_path);
  st.Bind(7, s.policy).Bind(8, s.status).Bind(9, now);
  if (s.name.empty()) {
    st.BindNull(2);
  } else {
    st.Bind(2, s.name);
  }
  base::Status inserted = st.Run();
  if (inserted.code() == base::StatusCode::kAlreadyExists) {
    return base::AlreadyExists("a session named '" + s.name + "' already exists");
  }
  RETURN_IF_ERROR(inserted);
  ASSIGN_OR_RETURN(auto lock, internal::LockSession(&impl_->deps, s));
  return std::unique_ptr<SessionWriter>(new SessionWriter(this, std::move(s), std::move(lock)));
}

base::Result<std::unique_ptr<SessionWriter>> Store::OpenWriter(std::string_view name_or_id) {
  ASSIGN_OR_RETURN(SessionInfo s, Find(name_or_id));
  ASSIGN_OR_RETURN(auto lock, internal::LockSession(&impl_->deps, s));
  // Re-read under the lock: the previous writer may have moved the head.
  ASSIGN_OR_RETURN(s, Find(s.id));
  return std::unique_ptr<SessionWriter>(new SessionWriter(this, std::move(s), std::move(lock)));
}

base::Result<RestoredSession> Store::Load(std::string_view name_or_id, engine::Context* ctx,
                                          std::optional<int64_t> at) {
  auto kv = internal::ContextKvState(ctx, ctx);
  return LoadInto(name_or_id, kv.get(), at);
}

base::Result<RestoredSession> Store::LoadInto(std::string_view name_or_id, internal::KvState* kv,
                                              std::optional<int64_t> at) {
  ASSIGN_OR_RETURN(SessionInfo s, Find(name_or_id));
  RETURN_IF_ERROR(checkpoint::CheckCompatible(s, *kv));
  int64_t id = s.head_checkpoint;
  if (at) {
    RETURN_IF_ERROR(CheckReaches(s, *at));
    id = *at;
  }
  if (id == 0) return RestoredSession{};
  return checkpoint::RestoreCheckpoint(&impl_->deps, id, kv, nullptr);
}

base::Status Store::CheckReaches(const SessionInfo& s, int64_t checkpoint_id) {
  // A session reaches its own checkpoints and everything its head's chain
  // runs through (for a fork, the parent's checkpoints up to the fork).
  ASSIGN_OR_RETURN(db::Stmt st, impl_->deps.db->Prepare("SELECT session_id FROM checkpoints WHERE id = ?1"));
  st.Bind(1, checkpoint_id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (row && st.Text(0) == s.id) return base::Status::Ok();
  if (row && s.head_checkpoint != 0) {
    ASSIGN_OR_RETURN(auto ids, checkpoint::ChainIds(impl_->deps.db.get(), s.head_checkpoint));
    for (int64_t id : ids) {
      if (id == checkpoint_id) return base::Status::Ok();
    }
  }
  return base::NotFound("session " + internal::SessionLabel(s) + " has no checkpoint " + std::to_string(checkpoint_id));
}

base::Result<SessionInfo> Store::Fork(std::string_view name_or_id, const ForkOptions& options) {
  ASSIGN_OR_RETURN(SessionInfo src, Find(name_or_id));
  int64_t at = src.head_checkpoint;
  if (options.at_checkpoint) {
    RETURN_IF_ERROR(CheckReaches(src, *options.at_checkpoint));
    at = *options.at_checkpoint;
  }
  if (at == 0) {
    return base::FailedPrecondition("session " + internal::SessionLabel(src) + " has no checkpoint to fork from");
  }
  const int64_t now = impl_->deps.clock->NowMicros();
  db::Db* db = impl_->deps.db.get();
  const std::string id = util::RandomHex(16);
  ASSIGN_OR_RETURN(db::Stmt st, db->Prepare("INSERT INTO sessions(id, name, title, repo, model_fingerprint, model_path,"
                                            " policy, parent_id, fork_checkpoint, head_checkpoint, status, created_us,"
                                            " updated_us)"
                                            " SELECT ?1, ?2, title, repo, model_fingerprint, model_path, policy, id,"
                                            " ?3, ?3, 'active', ?4, ?4 FROM sessions WHERE id = ?5"));
  st.Bind(1, id).Bind(3, at).Bind(4, now).Bind(5, src.id);
  if (options.name.empty()) {
    st.BindNull(2);
  } else {
    st.Bind(2, options.name);
  }
  base::Status inserted = st.Run();
  if (inserted.code() == base::StatusCode::kAlreadyExists) {
    return base::AlreadyExists("a session named '" + options.name + "' already exists");
  }
  RETURN_IF_ERROR(inserted);
  if (db->Changes() != 1) return base::NotFound("session " + internal::SessionLabel(src) + " was removed");
  return Find(id);
}

base::Status Store::Remove(std::string_view name_or_id) {
  ASSIGN_OR_RETURN(SessionInfo s, Find(name_or_id));
  // Holding the writer lock keeps a live writer from committing into a
  // session that is going away.
  ASSIGN_OR_RETURN(auto lock, internal::LockSession(&impl_->deps, s));
  ASSIGN_OR_RETURN(db::Stmt st, impl_->deps.db->Prepare("DELETE FROM sessions WHERE id = ?1"));
  st.Bind(1, s.id);
  return st.Run();
}

}  // namespace sessions
