#include "tools/git/checkpoints.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <set>

#include "tools/git/git_repo.h"
#include "tools/git/worktree_index.h"

namespace tools::git {
namespace {

constexpr std::string_view kNamespace = "refs/longhaul/";

base::Status CheckSessionId(const std::string& id) {
  const bool chars_ok = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
  const bool lock = id.size() >= 5 && id.compare(id.size() - 5, 5, ".lock") == 0;
  if (id.empty() || id.size() > 200 || !chars_ok || id.front() == '.' || id.find("..") != std::string::npos || lock) {
    return base::InvalidArgument("session id \"" + id +
                                 "\" cannot name a checkpoint ref (letters, digits, '-', '_' and '.' only)");
  }
  return base::Status::Ok();
}

// The session's checkpoints from its refs, sorted by step. Refs whose last
// component is not a step number are not ours and are skipped.
base::Result<std::vector<Checkpoint>> ReadCheckpoints(const GitRepo& repo, const std::string& session_id) {
  const std::string prefix = std::string(kNamespace) + session_id + "/";
  git_reference_iterator* raw = nullptr;
  const std::string glob = prefix + "*";
  GIT_RETURN_IF_ERROR("cannot list checkpoints", git_reference_iterator_glob_new(&raw, repo.get(), glob.c_str()));
  Handle<git_reference_iterator, git_reference_iterator_free> it(raw);
  std::vector<Checkpoint> out;
  const char* name = nullptr;
  int rc = 0;
  while ((rc = git_reference_next_name(&name, it.get())) == 0) {
    const std::string_view ref(name);
    if (ref.substr(0, prefix.size()) != prefix) continue;
    const std::string_view digits = ref.substr(prefix.size());
    Checkpoint c;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), c.step);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) continue;
    git_oid oid;
    GIT_RETURN_IF_ERROR("cannot read " + std::string(ref), git_reference_name_to_id(&oid, repo.get(), name));
    c.ref = std::string(ref);
    c.commit = OidHex(oid);
    out.push_back(std::move(c));
  }
  if (rc != GIT_ITEROVER) return GitError("cannot list checkpoints", rc);
  std::sort(out.begin(), out.end(), [](const Checkpoint& a, const Checkpoint& b) { return a.step < b.step; });
  return out;
}

base::Result<CommitPtr> LookupCommit(const GitRepo& repo, const std::string& hex) {
  git_oid oid;
  GIT_RETURN_IF_ERROR("bad checkpoint id " + hex, git_oid_fromstr(&oid, hex.c_str()));
  git_commit* commit = nullptr;
  GIT_RETURN_IF_ERROR("cannot read checkpoint commit " + hex, git_commit_lookup(&commit, repo.get(), &oid));
  return CommitPtr(commit);
}

// A new commit for `tree` on top of `parent` (none for a session's first).
base::Result<git_oid> WriteCommit(const GitRepo& repo, const git_oid& tree_id, const git_commit* parent,
                                  const std::string& message) {
  ASSIGN_OR_RETURN(SignaturePtr sig, repo.Signature());
  git_tree* tree = nullptr;
  GIT_RETURN_IF_ERROR("cannot read the snapshot tree", git_tree_lookup(&tree, repo.get(), &tree_id));
  TreePtr owned_tree(tree);
  const git_commit* parents[1] = {parent};
  git_oid id;
  GIT_RETURN_IF_ERROR("cannot write the checkpoint commit",
                      git_commit_create(&id, repo.get(), nullptr, sig.get(), sig.get(), nullptr, message.c_str(),
                                        owned_tree.get(), parent != nullptr ? 1 : 0, parents));
  return id;
}

}  // namespace

base::Result<std::string> CheckpointRef(const std::string& session_id, uint64_t step) {
  RETURN_IF_ERROR(CheckSessionId(session_id));
  return std::string(kNamespace) + session_id + "/" + std::to_string(step);
}

base::Result<Checkpoint> Snapshot(const std::string& repo_root, const std::string& session_id, uint64_t step) {
  Checkpoint result;
  result.step = step;
  ASSIGN_OR_RETURN(result.ref, CheckpointRef(session_id, step));
  ASSIGN_OR_RETURN(GitRepo repo, GitRepo::Open(repo_root));
  ASSIGN_OR_RETURN(IndexPtr index, OpenPrivateIndex(repo, session_id));
  ASSIGN_OR_RETURN(git_oid tree, StageWorktree(repo, index.get()));

  ASSIGN_OR_RETURN(std::vector<Checkpoint> existing, ReadCheckpoints(repo, session_id));
  std::optional<Checkpoint> previous;
  for (const auto& c : existing) {
    if (c.step < step) previous = c;
  }
  CommitPtr parent;
  if (previous) {
    ASSIGN_OR_RETURN(parent, LookupCommit(repo, previous->commit));
  }
  git_oid commit_id;
  if (parent != nullptr && git_oid_equal(git_commit_tree_id(parent.get()), &tree)) {
    // Nothing changed: share the previous commit, so the step can still
    // be restored by number without adding a single object.
    commit_id = *git_commit_id(parent.get());
    result.changed = false;
  } else {
    const std::string message = "longhaul checkpoint " + session_id + " step " + std::to_string(step) + "\n";
    ASSIGN_OR_RETURN(commit_id, WriteCommit(repo, tree, parent.get(), message));
    result.changed = true;
  }
  git_reference* ref = nullptr;
  GIT_RETURN_IF_ERROR("cannot write " + result.ref, git_reference_create(&ref, repo.get(), result.ref.c_str(),
                                                                           &commit_id, 1, "longhaul checkpoint"));
  git_reference_free(ref);
  result.commit = OidHex(commit_id);
  return result;
}

base::Status Restore(const std::string& repo_root, const std::string& session_id, uint64_t step) {
  ASSIGN_OR_RETURN(std::string ref_name, CheckpointRef(session_id, step));
  ASSIGN_OR_RETURN(GitRepo repo, GitRepo::Open(repo_root));
  git_oid target_id;
  const int rc = git_reference_name_to_id(&target_id, repo.get(), ref_name.c_str());
  if (rc == GIT_ENOTFOUND) {
    return base::NotFound("session " + session_id + " has no checkpoint for step " + std::to_string(step));
  }
  if (rc < 0) return GitError("cannot read " + ref_name, rc);
  ASSIGN_OR_RETURN(CommitPtr target, LookupCommit(repo, OidHex(target_id)));
  git_tree* target_tree = nullptr;
  GIT_RETURN_IF_ERROR("cannot read the checkpoint's tree", git_commit_tree(&target_tree, target.get()));
  TreePtr target_owned(target_tree);

  // The baseline is the working tree as it is now, staged like a
  // snapshot: checkout then rewrites exactly what differs from the target
  // and deletes what the target lacks, leaving ignored files alone.
  ASSIGN_OR_RETURN(IndexPtr index, OpenPrivateIndex(repo, session_id));
  ASSIGN_OR_RETURN(git_oid current_id, StageWorktree(repo, index.get()));
  if (git_oid_equal(&current_id, git_tree_id(target_tree))) return base::Status::Ok();
  git_tree* current = nullptr;
  GIT_RETURN_IF_ERROR("cannot read the working tree's snapshot", git_tree_lookup(&current, repo.get(), &current_id));
  TreePtr current_owned(current);

  git_checkout_options opts;
  GIT_RETURN_IF_ERROR("cannot set up checkout", git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION));
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
  opts.baseline = current;
  // Under a subdirectory root, only that subdirectory is the agent's.
  std::string prefix = repo.prefix();
  if (!prefix.empty()) prefix.pop_back();
  char* paths[1] = {prefix.data()};
  if (!prefix.empty()) {
    opts.paths.strings = paths;
    opts.paths.count = 1;
  }
  // Checkout updates the repository handle's index, which is the private
  // one (OpenPrivateIndex), so its stat cache stays right for next time.
  GIT_RETURN_IF_ERROR("cannot restore checkpoint " + ref_name,
                      git_checkout_tree(repo.get(), reinterpret_cast<git_object*>(target_tree), &opts));
  return base::Status::Ok();
}

base::Result<std::vector<Checkpoint>> ListCheckpoints(const std::string& repo_root, const std::string& session_id) {
  RETURN_IF_ERROR(CheckSessionId(session_id));
  ASSIGN_OR_RETURN(GitRepo repo, GitRepo::Open(repo_root));
  return ReadCheckpoints(repo, session_id);
}

base::Result<std::vector<std::string>> ListCheckpointSessions(const std::string& repo_root) {
  ASSIGN_OR_RETURN(GitRepo repo, GitRepo::Open(repo_root));
  git_reference_iterator* raw = nullptr;
  const std::string glob = std::string(kNamespace) + "*";
  GIT_RETURN_IF_ERROR("cannot list checkpoints", git_reference_iterator_glob_new(&raw, repo.get(), glob.c_str()));
  Handle<git_reference_iterator, git_reference_iterator_free> it(raw);
  std::set<std::string> sessions;
  const char* name = nullptr;
  int rc = 0;
  while ((rc = git_reference_next_name(&name, it.get())) == 0) {
    const std::string_view rest = std::string_view(name).substr(kNamespace.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) continue;
    const std::string id(rest.substr(0, slash));
    if (CheckSessionId(id).ok()) sessions.insert(id);
  }
  if (rc != GIT_ITEROVER) return GitError("cannot list checkpoints", rc);
  return std::vector<std::string>(sessions.begin(), sessions.end());
}

base::Result<size_t> RemoveCheckpoints(const std::string& repo_root, const std::string& session_id) {
  RETURN_IF_ERROR(CheckSessionId(session_id));
  ASSIGN_OR_RETURN(GitRepo repo, GitRepo::Open(repo_root));
  ASSIGN_OR_RETURN(std::vector<Checkpoint> all, ReadCheckpoints(repo, session_id));
  for (const auto& c : all) {
    // Removing the reflog too (written only under core.logAllRefUpdates=
    // always): a reflog entry would keep the objects from being pruned.
    (void)git_reflog_delete(repo.get(), c.ref.c_str());
    const int rc = git_reference_remove(repo.get(), c.ref.c_str());
    if (rc < 0 && rc != GIT_ENOTFOUND) return GitError("cannot delete " + c.ref, rc);
  }
  std::error_code ec;
  std::filesystem::remove(PrivateIndexPath(repo, session_id), ec);
  if (ec) return base::IoError("cannot remove the checkpoint index: " + ec.message());
  // Empty directories left by loose refs (refs/longhaul/<session>/).
  std::filesystem::remove(repo.git_dir() + std::string(kNamespace) + session_id, ec);
  return all.size();
}

}  // namespace tools::git
