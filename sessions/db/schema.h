// The session database's schema, versioned with PRAGMA user_version.
//
// Migrations are an ordered list; migration i takes the schema from
// version i to i + 1 and runs in one transaction with the version bump,
// so a crash mid-migration leaves the old version whole. A database newer
// than this binary knows is refused rather than misread.
#pragma once

#include "base/status.h"
#include "sessions/db/sqlite.h"

namespace sessions::db {

// The version this binary writes.
int SchemaVersion();

// Brings `db` up to SchemaVersion().
base::Status Migrate(Db* db);

}  // namespace sessions::db
