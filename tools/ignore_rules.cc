#include "tools/ignore_rules.h"

#include <git2.h>

#include <filesystem>

namespace tools {

struct IgnoreRules::Repo {
  git_repository* repo = nullptr;
  git_index* index = nullptr;
  // The root's place inside the work tree ("" when the root is the work
  // tree itself, "sub/dir/" when the agent was pointed at a subdirectory).
  std::string prefix;

  ~Repo() {
    if (index != nullptr) git_index_free(index);
    if (repo != nullptr) git_repository_free(repo);
  }
};

namespace {

bool IsGitComponent(std::string_view relative) {
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    if (relative.substr(start, end - start) == ".git") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

IgnoreRules::IgnoreRules(const std::string& repo_root) {
  // Reference counted by libgit2: every init here is paired with the
  // shutdown in the destructor, whatever else in the process uses it.
  git_libgit2_init();
  auto repo = std::make_unique<Repo>();
  // Searching upwards finds the work tree when the root is a subdirectory
  // of one; it stops at a filesystem boundary as git does by default.
  if (git_repository_open_ext(&repo->repo, repo_root.c_str(), 0, nullptr) != 0) return;
  const char* workdir = git_repository_workdir(repo->repo);
  if (workdir == nullptr) return;  // bare: nothing is checked out to ignore
  std::string work_str = workdir;
  while (work_str.size() > 1 && work_str.back() == '/') work_str.pop_back();
  std::error_code ec;
  const auto work = std::filesystem::weakly_canonical(work_str, ec);
  if (ec) return;
  const auto rel = std::filesystem::path(repo_root).lexically_relative(work);
  if (rel.empty() || *rel.begin() == "..") return;
  if (rel != ".") {
    repo->prefix = rel.string() + "/";
    // A root that the enclosing repository itself ignores (a scratch
    // directory under a dotfiles repository that ignores "*") would
    // otherwise hide everything; its rules are not meant for it.
    int ignored = 0;
    if (git_ignore_path_is_ignored(&ignored, repo->repo, repo->prefix.c_str()) != 0 || ignored != 0) return;
  }
  // Without an index nothing counts as tracked; the rules still apply.
  if (git_repository_index(&repo->index, repo->repo) != 0) repo->index = nullptr;
  repo_ = std::move(repo);
}

IgnoreRules::~IgnoreRules() {
  repo_.reset();
  git_libgit2_shutdown();
}

bool IgnoreRules::IsIgnored(std::string_view relative, bool is_dir) const {
  if (IsGitComponent(relative)) return true;
  if (repo_ == nullptr) return false;
  std::string path = repo_->prefix + std::string(relative);
  if (is_dir) path += '/';
  int ignored = 0;
  if (git_ignore_path_is_ignored(&ignored, repo_->repo, path.c_str()) != 0 || ignored == 0) return false;
  if (repo_->index == nullptr) return true;
  if (!is_dir) return git_index_get_bypath(repo_->index, path.c_str(), 0) == nullptr;
  size_t pos = 0;
  return git_index_find_prefix(&pos, repo_->index, path.c_str()) != 0;
}

}  // namespace tools
