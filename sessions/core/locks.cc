// Per-session writer locks: flock(2) on locks/<id>.lock through the
// FileSystem seam. The OS drops the lock when its holder dies, even by
// SIGKILL, so a crashed writer never leaves a stale lock; the pid file is
// only a hint for the error message.
#include <unistd.h>

#include "sessions/core/session_rows.h"
#include "sessions/core/store_impl.h"

namespace sessions::internal {

std::string LockPath(const StoreDeps& deps, std::string_view session_id) {
  return base::JoinPath(base::JoinPath(deps.data_dir, kLockDir), std::string(session_id) + ".lock");
}

base::Result<std::unique_ptr<base::FileLock>> TryLockSessionId(StoreDeps* deps, std::string_view session_id) {
  RETURN_IF_ERROR(deps->fs->CreateDirs(base::JoinPath(deps->data_dir, kLockDir)));
  auto lock = deps->fs->Lock(LockPath(*deps, session_id));
  if (lock.ok()) return std::move(lock).value();
  if (lock.status().code() == base::StatusCode::kBusy) return std::unique_ptr<base::FileLock>();
  return lock.status();
}

base::Result<std::unique_ptr<base::FileLock>> LockSession(StoreDeps* deps, const SessionInfo& session) {
  ASSIGN_OR_RETURN(auto lock, TryLockSessionId(deps, session.id));
  const std::string pid_path = LockPath(*deps, session.id) + ".pid";
  if (!lock) {
    std::string holder;
    auto pid = deps->fs->ReadFile(pid_path);
    if (pid.ok() && !pid->empty()) holder = " (pid " + *pid + ")";
    return base::Busy("session " + SessionLabel(session) + " is open for writing by another process" + holder);
  }
  // Best effort: the pid only improves the message a second writer sees.
  auto pid_file = deps->fs->OpenWritable(pid_path, base::OpenMode::kTruncate);
  if (pid_file.ok()) {
    (*pid_file)->Append(std::to_string(::getpid())).IgnoreError();
    (*pid_file)->Close().IgnoreError();
  }
  return lock;
}

}  // namespace sessions::internal
