// Reading session rows, shared by the Store's operations.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "sessions/db/sqlite.h"
#include "sessions/store.h"

namespace sessions::internal {

// By exact id, exact name, or a unique id prefix of at least 4 characters.
base::Result<SessionInfo> FindSession(db::Db* db, std::string_view name_or_id);
base::Result<std::vector<SessionInfo>> ListSessions(db::Db* db);
// "name (id)", or the id alone for an unnamed session.
std::string SessionLabel(const SessionInfo& s);

}  // namespace sessions::internal
