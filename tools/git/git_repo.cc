#include "tools/git/git_repo.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

namespace tools::git {

base::Status GitError(std::string_view what, int code) {
  const git_error* e = git_error_last();
  std::string message(what);
  message += ": ";
  message += (e != nullptr && e->message != nullptr) ? e->message : ("libgit2 error " + std::to_string(code));
  switch (code) {
    case GIT_ENOTFOUND:
      return base::NotFound(std::move(message));
    case GIT_EINVALIDSPEC:
    case GIT_EAMBIGUOUS:
      return base::InvalidArgument(std::move(message));
    case GIT_ELOCKED:
      return base::Busy(std::move(message));
    default:
      return base::IoError(std::move(message));
  }
}

base::Result<GitRepo> GitRepo::Open(const std::string& root) {
  GitRepo r;
  r.lib_ = std::make_shared<LibGit2>();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, root.c_str(), 0, nullptr) < 0) {
    return base::FailedPrecondition(root + " is not inside a git repository (no .git found in it or above it)");
  }
  r.repo_.reset(raw);
  const char* workdir = git_repository_workdir(raw);
  if (workdir == nullptr) return base::FailedPrecondition(root + " is a bare git repository with no work tree");
  r.workdir_ = workdir;
  std::error_code ec;
  std::string top = r.workdir_;
  while (top.size() > 1 && top.back() == '/') top.pop_back();
  const auto canonical_top = std::filesystem::weakly_canonical(top, ec);
  const auto canonical_root = std::filesystem::weakly_canonical(root, ec);
  if (ec) return base::IoError("cannot resolve " + root + ": " + ec.message());
  const auto rel = canonical_root.lexically_relative(canonical_top);
  if (rel.empty() || *rel.begin() == "..") {
    return base::FailedPrecondition(root + " is not inside the work tree of " + top);
  }
  if (rel != ".") r.prefix_ = rel.generic_string() + "/";
  return r;
}

base::Result<TreePtr> GitRepo::HeadTree() const {
  git_reference* head_raw = nullptr;
  const int rc = git_repository_head(&head_raw, repo_.get());
  // An unborn branch (no commits yet) has no tree: diffs start from empty.
  if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) return TreePtr();
  if (rc < 0) return GitError("cannot read HEAD", rc);
  ReferencePtr head(head_raw);
  git_object* peeled = nullptr;
  GIT_RETURN_IF_ERROR("cannot read HEAD's commit", git_reference_peel(&peeled, head.get(), GIT_OBJECT_COMMIT));
  CommitPtr owned(reinterpret_cast<git_commit*>(peeled));
  git_tree* tree = nullptr;
  GIT_RETURN_IF_ERROR("cannot read HEAD's tree", git_commit_tree(&tree, owned.get()));
  return TreePtr(tree);
}

base::Result<CommitPtr> GitRepo::ResolveCommit(const std::string& rev) const {
  if (rev.empty()) return base::InvalidArgument("the revision is empty");
  git_object* obj = nullptr;
  int rc = git_revparse_single(&obj, repo_.get(), rev.c_str());
  if (rc < 0) {
    const git_error* e = git_error_last();
    std::string why = (e != nullptr && e->message != nullptr) ? e->message : "unknown";
    if (rc == GIT_EUNBORNBRANCH || (rc == GIT_ENOTFOUND && rev.rfind("HEAD", 0) == 0)) {
      why = "the repository has no commits yet";
    }
    return base::InvalidArgument("unknown revision \"" + rev + "\": " + why + "; git_log lists commits");
  }
  ObjectPtr owned(obj);
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, owned.get(), GIT_OBJECT_COMMIT);
  if (rc < 0) return base::InvalidArgument("\"" + rev + "\" does not name a commit");
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

base::Result<SignaturePtr> GitRepo::Signature() const {
  git_signature* sig = nullptr;
  // Fails without user.name/user.email; checkpoints must work anyway.
  if (git_signature_default(&sig, repo_.get()) == 0) return SignaturePtr(sig);
  GIT_RETURN_IF_ERROR("cannot make a signature", git_signature_now(&sig, "longhaul", "longhaul@localhost"));
  return SignaturePtr(sig);
}

base::Result<std::string> RootPathspec(const GitRepo& repo, std::string_view path) {
  std::filesystem::path p(std::string(path.empty() ? "." : path));
  if (p.is_absolute()) {
    p = p.lexically_relative(std::filesystem::path(repo.workdir()) / repo.prefix());
  }
  p = p.lexically_normal();
  if (p.empty() || *p.begin() == "..") {
    return base::InvalidArgument("path \"" + std::string(path) + "\" is outside the repository");
  }
  std::string rel = p.generic_string();
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  if (rel == ".") rel.clear();
  std::string spec = repo.prefix() + rel;
  while (!spec.empty() && spec.back() == '/') spec.pop_back();
  return spec;
}

std::string Subject(const git_commit* commit) {
  const char* summary = git_commit_summary(const_cast<git_commit*>(commit));
  return summary != nullptr ? summary : "";
}

std::string FormatTime(const git_time& time) {
  const time_t t = static_cast<time_t>(time.time) + static_cast<time_t>(time.offset) * 60;
  struct tm tm_utc {};
  gmtime_r(&t, &tm_utc);
  char buf[64];
  const int off = time.offset < 0 ? -time.offset : time.offset;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d %c%02d%02d", tm_utc.tm_year + 1900, tm_utc.tm_mon + 1,
                tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec, time.offset < 0 ? '-' : '+', off / 60,
                off % 60);
  return buf;
}

std::string OidHex(const git_oid& oid, size_t length) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return std::string(buf, std::min<size_t>(length, GIT_OID_HEXSZ));
}

base::Result<DiffPtr> DiffAgainstFirstParent(const GitRepo& repo, git_commit* commit,
                                             const git_diff_options* options) {
  git_tree* tree = nullptr;
  GIT_RETURN_IF_ERROR("cannot read the commit's tree", git_commit_tree(&tree, commit));
  TreePtr owned(tree);
  TreePtr parent_tree;
  if (git_commit_parentcount(commit) > 0) {
    git_commit* parent = nullptr;
    GIT_RETURN_IF_ERROR("cannot read the parent commit", git_commit_parent(&parent, commit, 0));
    CommitPtr p(parent);
    git_tree* pt = nullptr;
    GIT_RETURN_IF_ERROR("cannot read the parent's tree", git_commit_tree(&pt, parent));
    parent_tree.reset(pt);
  }
  git_diff* diff = nullptr;
  GIT_RETURN_IF_ERROR("cannot diff", git_diff_tree_to_tree(&diff, repo.get(), parent_tree.get(), tree, options));
  return DiffPtr(diff);
}

}  // namespace tools::git
