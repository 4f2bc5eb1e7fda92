// Checkpoints: snapshots of the working tree as commits under a private
// ref namespace, refs/longhaul/<session>/<step>, so that a session's file
// changes can be undone or rewound (issue 8). Public to tools/ users (the
// agent and the CLI).
//
// What a checkpoint holds: every file git would show the user — tracked
// files as they are on disk and untracked files that are not ignored —
// with their bytes, exec bit and symlinks, the way `git stash -u` sees
// them. Ignored files are neither saved nor, on Restore, touched.
//
// What it never touches: the user's HEAD, branches, index file and stash.
// The snapshot is staged in a private index file kept under the git
// directory (longhaul/index-<session>), which doubles as a stat cache so a
// step re-hashes only the files whose stat changed.
//
// Space: objects are content-addressed, so a step that changed one file
// adds that file's blob, the trees on its path and one commit. A step that
// changed nothing adds no object: its ref points at the previous
// checkpoint's commit (Snapshot says changed == false). RemoveCheckpoints
// deletes the refs and the private index; `git gc` can then prune the
// objects.
//
// Steps are numbers; a checkpoint's parent is the session's checkpoint
// with the largest step below it. Snapshotting a step that exists replaces
// it (after a rewind, the session re-creates its later steps).
//
// When the agent's root is a subdirectory of the work tree, snapshots
// cover the whole work tree but Restore changes only files under the root.
//
// Threading: calls on the same session must not overlap (the private
// index is locked while written; a second writer gets kBusy).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace tools::git {

struct Checkpoint {
  uint64_t step = 0;
  std::string ref;     // "refs/longhaul/<session>/<step>"
  std::string commit;  // 40 hex digits
  bool changed = false;  // Snapshot only: false when the tree equals the previous checkpoint's
};

// Snapshots the working tree as refs/longhaul/<session_id>/<step>.
// `session_id` must be letters, digits, '-', '_' or '.' (not leading).
// kFailedPrecondition when repo_root is not in a git work tree.
base::Result<Checkpoint> Snapshot(const std::string& repo_root, const std::string& session_id, uint64_t step);

// Makes the working tree (under repo_root) exactly what checkpoint `step`
// saved: changed files rewritten with their bytes and modes, deleted ones
// re-created, files created since removed. Ignored files stay as they are.
// kNotFound when the session has no such checkpoint.
base::Status Restore(const std::string& repo_root, const std::string& session_id, uint64_t step);

// The session's checkpoints, by step (changed is always false here).
base::Result<std::vector<Checkpoint>> ListCheckpoints(const std::string& repo_root, const std::string& session_id);

// Ids of the sessions that have checkpoints in this repository, sorted.
// `sessions gc` removes those whose session is gone.
base::Result<std::vector<std::string>> ListCheckpointSessions(const std::string& repo_root);

// Deletes the session's refs and private index; returns how many refs went.
base::Result<size_t> RemoveCheckpoints(const std::string& repo_root, const std::string& session_id);

// "refs/longhaul/<session_id>/<step>", or kInvalidArgument for a session id
// that cannot be part of a ref name.
base::Result<std::string> CheckpointRef(const std::string& session_id, uint64_t step);

}  // namespace tools::git
