#include "tools/git/worktree_index.h"

#include <git2/sys/repository.h>

#include <filesystem>
#include <vector>

namespace tools::git {

std::string PrivateIndexPath(const GitRepo& repo, const std::string& session_id) {
  return repo.git_dir() + "longhaul/index-" + session_id;
}

base::Result<IndexPtr> OpenPrivateIndex(const GitRepo& repo, const std::string& session_id) {
  const std::string path = PrivateIndexPath(repo, session_id);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return base::IoError("cannot create " + path + ": " + ec.message());
  git_index* raw = nullptr;
  if (git_index_open(&raw, path.c_str()) < 0) {
    // Only a cache of the working tree: rebuilding it costs one full hash.
    std::filesystem::remove(path, ec);
    GIT_RETURN_IF_ERROR("cannot open the checkpoint index " + path, git_index_open(&raw, path.c_str()));
  }
  IndexPtr index(raw);
  GIT_RETURN_IF_ERROR("cannot install the checkpoint index", git_repository_set_index(repo.get(), index.get()));
  return index;
}

namespace {

// The user's index, read-only: what counts as tracked. Opened from its
// file rather than through the repository handle, whose index is ours.
base::Result<IndexPtr> OpenUserIndex(const GitRepo& repo) {
  git_index* raw = nullptr;
  const std::string path = repo.git_dir() + "index";
  GIT_RETURN_IF_ERROR("cannot read the git index " + path, git_index_open(&raw, path.c_str()));
  return IndexPtr(raw);
}

// Tracked files are part of the snapshot even when a pattern ignores them
// (as in git); add-all only keeps what is already in the private index.
base::Status AddTrackedEntries(git_index* index, git_index* user) {
  const size_t count = git_index_entrycount(user);
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* entry = git_index_get_byindex(user, i);
    if (entry == nullptr || GIT_INDEX_ENTRY_STAGE(entry) != 0) continue;
    if (git_index_get_bypath(index, entry->path, 0) != nullptr) continue;
    GIT_RETURN_IF_ERROR(std::string("cannot stage ") + entry->path, git_index_add(index, entry));
  }
  return base::Status::Ok();
}

// Drops entries the user neither tracks nor sees any more (a path ignored
// after an earlier checkpoint saved it), so snapshots follow .gitignore.
base::Status DropNewlyIgnored(const GitRepo& repo, git_index* index, git_index* user) {
  std::vector<std::string> drop;
  const size_t count = git_index_entrycount(index);
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* entry = git_index_get_byindex(index, i);
    if (entry == nullptr || git_index_get_bypath(user, entry->path, 0) != nullptr) continue;
    int ignored = 0;
    GIT_RETURN_IF_ERROR("cannot read ignore rules", git_ignore_path_is_ignored(&ignored, repo.get(), entry->path));
    if (ignored != 0) drop.emplace_back(entry->path);
  }
  for (const auto& path : drop) {
    GIT_RETURN_IF_ERROR("cannot unstage " + path, git_index_remove_bypath(index, path.c_str()));
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<git_oid> StageWorktree(const GitRepo& repo, git_index* index) {
  ASSIGN_OR_RETURN(IndexPtr user, OpenUserIndex(repo));
  RETURN_IF_ERROR(AddTrackedEntries(index, user.get()));
  // add_all stages new and changed files (untracked ones unless ignored);
  // update_all then drops the entries whose files are gone.
  GIT_RETURN_IF_ERROR("cannot stage the working tree",
                      git_index_add_all(index, nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr));
  GIT_RETURN_IF_ERROR("cannot stage the working tree", git_index_update_all(index, nullptr, nullptr, nullptr));
  RETURN_IF_ERROR(DropNewlyIgnored(repo, index, user.get()));
  GIT_RETURN_IF_ERROR("cannot write the checkpoint index", git_index_write(index));
  git_oid tree;
  GIT_RETURN_IF_ERROR("cannot write the snapshot tree", git_index_write_tree(&tree, index));
  return tree;
}

}  // namespace tools::git
