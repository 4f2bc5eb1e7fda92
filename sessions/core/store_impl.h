// Store's private state, shared by store.cc, session_writer.cc and gc.cc.
#pragma once

#include <memory>
#include <string>

#include "base/filesystem.h"
#include "sessions/core/deps.h"
#include "sessions/store.h"

namespace sessions {

struct Store::Impl {
  internal::StoreDeps deps;
};

namespace internal {

std::string LockPath(const StoreDeps& deps, std::string_view session_id);
// Takes the session's writer lock and records this pid beside it. kBusy,
// naming the session and the holder's pid when known, if someone has it.
base::Result<std::unique_ptr<base::FileLock>> LockSession(StoreDeps* deps, const SessionInfo& session);
// Takes the lock only if free: null when another writer holds it.
base::Result<std::unique_ptr<base::FileLock>> TryLockSessionId(StoreDeps* deps, std::string_view session_id);

}  // namespace internal
}  // namespace sessions
