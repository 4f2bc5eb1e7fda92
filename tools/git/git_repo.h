// The libgit2 wrapper every git tool and the checkpoints use: RAII handles,
// libgit2 errors as base::Status, opening the repository that holds the
// agent's root. Private to tools/.
//
// Nothing here throws or aborts; every libgit2 failure comes back as a
// Status whose message is "<what we tried>: <libgit2's message>".
//
// Threading: one GitRepo per call. libgit2 repositories are not safe to
// share across threads, but separate handles on the same repository are.
#pragma once

#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tools::git {

// Holds libgit2's global state for as long as it lives. libgit2 counts
// init/shutdown pairs, so every user can hold one independently of the
// others (IgnoreRules does the same).
class LibGit2 {
 public:
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
template <typename T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Freer<T, Free>>;

using RepoPtr = Handle<git_repository, git_repository_free>;
using IndexPtr = Handle<git_index, git_index_free>;
using TreePtr = Handle<git_tree, git_tree_free>;
using CommitPtr = Handle<git_commit, git_commit_free>;
using ObjectPtr = Handle<git_object, git_object_free>;
using ReferencePtr = Handle<git_reference, git_reference_free>;
using DiffPtr = Handle<git_diff, git_diff_free>;
using StatusListPtr = Handle<git_status_list, git_status_list_free>;
using SignaturePtr = Handle<git_signature, git_signature_free>;
using RevwalkPtr = Handle<git_revwalk, git_revwalk_free>;
using OdbPtr = Handle<git_odb, git_odb_free>;

// The Status for a libgit2 call that returned `code` (< 0): kNotFound for
// GIT_ENOTFOUND, kInvalidArgument for bad specs, kIoError otherwise; the
// message is "<what>: <libgit2's last error>".
base::Status GitError(std::string_view what, int code);

// Evaluates a libgit2 call and returns GitError(what, rc) when it fails.
#define GIT_RETURN_IF_ERROR(what, call)                                       \
  do {                                                                        \
    const int lh_git_rc_ = (call);                                            \
    if (lh_git_rc_ < 0) return ::tools::git::GitError((what), lh_git_rc_);   \
  } while (0)

// An open repository with a work tree. `prefix` is where the agent's root
// lies inside the work tree: "" at the top, "sub/dir/" below it.
class GitRepo {
 public:
  // Searches upwards from `root` as git does. kFailedPrecondition with a
  // message for the model when `root` is not in a git work tree (or the
  // repository is bare).
  static base::Result<GitRepo> Open(const std::string& root);

  git_repository* get() const { return repo_.get(); }
  const std::string& workdir() const { return workdir_; }  // with a trailing '/'
  const std::string& prefix() const { return prefix_; }
  // The repository's git directory (".git/", or the worktree's own one).
  std::string git_dir() const { return git_repository_path(repo_.get()); }

  // The tree of HEAD's commit, or null for an unborn branch (a repository
  // with no commits yet is not an error).
  base::Result<TreePtr> HeadTree() const;
  // The commit a revision names ("HEAD~2", a hash, a branch, a ref).
  // kInvalidArgument naming `rev` when it names nothing or no commit.
  base::Result<CommitPtr> ResolveCommit(const std::string& rev) const;
  // The signature for commits longhaul writes: the user's (user.name,
  // user.email), or "longhaul <longhaul@localhost>" when none is set.
  base::Result<SignaturePtr> Signature() const;

 private:
  std::shared_ptr<LibGit2> lib_;  // declared first: released last
  RepoPtr repo_;
  std::string workdir_;
  std::string prefix_;
};

// A workdir-relative pathspec for a path the model gave relative to the
// agent's root ("" for the whole root). kInvalidArgument for paths that
// climb out of the root.
base::Result<std::string> RootPathspec(const GitRepo& repo, std::string_view path);

// The first line of a commit message.
std::string Subject(const git_commit* commit);
// The diff of `commit` against its first parent (a root commit: against
// the empty tree); `options` may be null.
base::Result<DiffPtr> DiffAgainstFirstParent(const GitRepo& repo, git_commit* commit,
                                             const git_diff_options* options);
// "2024-05-01 12:34:56 +0200" for a git time.
std::string FormatTime(const git_time& time);
// The full 40-hex id, or its first `length` characters.
std::string OidHex(const git_oid& oid, size_t length = GIT_OID_HEXSZ);

}  // namespace tools::git
