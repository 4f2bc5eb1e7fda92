// The private index a session's checkpoints are staged in, never the
// user's. Private to tools/git.
//
// It lives at <git dir>/longhaul/index-<session> and is installed as the
// index of this GitRepo handle only (git_repository_set_index changes the
// in-memory handle, not the repository on disk), so that libgit2's
// add-all, write-tree and checkout work on it while the user's index file
// is only ever read. Kept between steps, its stat data lets a snapshot
// skip hashing unchanged files.
#pragma once

#include <string>

#include "base/status.h"
#include "tools/git/git_repo.h"

namespace tools::git {

// Opens (or creates empty) the session's private index and installs it as
// `repo`'s index. A corrupt index file is discarded and rebuilt: it holds
// nothing the working tree does not.
base::Result<IndexPtr> OpenPrivateIndex(const GitRepo& repo, const std::string& session_id);

// The private index's file name, for RemoveCheckpoints.
std::string PrivateIndexPath(const GitRepo& repo, const std::string& session_id);

// Stages the working tree into `index` (from OpenPrivateIndex) the way
// `git stash -u` sees it: files the user's index tracks, as they are on
// disk, plus untracked files git does not ignore; deleted files dropped.
// Writes the index and returns the id of its tree (objects for new content
// go into the object database; unchanged content is already there).
base::Result<git_oid> StageWorktree(const GitRepo& repo, git_index* index);

}  // namespace tools::git
