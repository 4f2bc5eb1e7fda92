#include "sessions/core/session_rows.h"

namespace sessions::internal {
namespace {

constexpr char kSelect[] =
    "SELECT s.id, COALESCE(s.name, ''), s.title, s.repo, s.model_fingerprint, s.model_path, s.policy,"
    " COALESCE(s.parent_id, ''), COALESCE(s.fork_checkpoint, 0), COALESCE(s.head_checkpoint, 0), s.status,"
    " s.created_us, s.updated_us,"
    " COALESCE((SELECT n_past FROM checkpoints c WHERE c.id = s.head_checkpoint), 0),"
    " (SELECT COUNT(*) FROM checkpoints c WHERE c.session_id = s.id),"
    " (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id)"
    " FROM sessions s ";

SessionInfo ReadRow(const db::Stmt& st) {
  SessionInfo s;
  s.id = st.Text(0);
  s.name = st.Text(1);
  s.title = st.Text(2);
  s.repo = st.Text(3);
  s.model_fingerprint = st.Text(4);
  s.model_path = st.Text(5);
  s.policy = st.Text(6);
  s.parent_id = st.Text(7);
  s.fork_checkpoint = st.Int(8);
  s.head_checkpoint = st.Int(9);
  s.status = st.Text(10);
  s.created_us = st.Int(11);
  s.updated_us = st.Int(12);
  s.n_tokens = st.Int(13);
  s.n_checkpoints = st.Int(14);
  s.n_events = st.Int(15);
  return s;
}

base::Result<std::vector<SessionInfo>> Query(db::Db* db, const std::string& where, std::string_view arg) {
  ASSIGN_OR_RETURN(db::Stmt st, db->Prepare(std::string(kSelect) + where));
  if (!arg.empty()) st.Bind(1, arg);
  std::vector<SessionInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadRow(st));
  }
  return out;
}

}  // namespace

std::string SessionLabel(const SessionInfo& s) { return s.name.empty() ? s.id : s.name + " (" + s.id + ")"; }

base::Result<SessionInfo> FindSession(db::Db* db, std::string_view name_or_id) {
  if (name_or_id.empty()) return base::InvalidArgument("no session named (empty name or id)");
  ASSIGN_OR_RETURN(auto exact, Query(db, "WHERE s.id = ?1 OR s.name = ?1 ORDER BY s.id = ?1 DESC", name_or_id));
  if (!exact.empty()) return exact.front();
  if (name_or_id.size() >= 4) {
    ASSIGN_OR_RETURN(auto prefix, Query(db, "WHERE substr(s.id, 1, length(?1)) = ?1", name_or_id));
    if (prefix.size() == 1) return prefix.front();
    if (prefix.size() > 1) {
      return base::InvalidArgument("session id prefix '" + std::string(name_or_id) + "' is ambiguous (" +
                                   std::to_string(prefix.size()) + " sessions match)");
    }
  }
  return base::NotFound("no session named or with id '" + std::string(name_or_id) + "'");
}

base::Result<std::vector<SessionInfo>> ListSessions(db::Db* db) {
  return Query(db, "ORDER BY s.updated_us DESC, s.id", "");
}

}  // namespace sessions::internal
