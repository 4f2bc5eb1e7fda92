// git_status: the branch and the staged, unstaged and untracked files.
#include <string>
#include <vector>

#include "tools/builtin.h"
#include "tools/git/git_repo.h"
#include "tools/git/git_tools.h"

namespace tools {
namespace {

using git::GitRepo;

// "main", "main (no commits yet)" or "HEAD detached at 1a2b3c4d".
base::Result<std::string> BranchLine(const GitRepo& repo) {
  git_reference* head = nullptr;
  const int rc = git_repository_head(&head, repo.get());
  if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
    // HEAD names a branch that has no commit yet: read the name itself.
    git_reference* sym = nullptr;
    std::string name = "(unknown)";
    if (git_reference_lookup(&sym, repo.get(), "HEAD") == 0) {
      const char* target = git_reference_symbolic_target(sym);
      if (target != nullptr) name = target;
      git_reference_free(sym);
    }
    if (name.rfind("refs/heads/", 0) == 0) name = name.substr(11);
    return "On branch " + name + " (no commits yet)";
  }
  if (rc < 0) return git::GitError("cannot read HEAD", rc);
  git::ReferencePtr owned(head);
  if (git_repository_head_detached(repo.get()) == 1) {
    return "HEAD detached at " + git::OidHex(*git_reference_target(head), 12);
  }
  return std::string("On branch ") + git_reference_shorthand(head);
}

struct Sections {
  std::vector<std::string> staged, unstaged, untracked, conflicted;
};

std::string IndexWord(unsigned s) {
  if (s & GIT_STATUS_INDEX_NEW) return "new file:   ";
  if (s & GIT_STATUS_INDEX_DELETED) return "deleted:    ";
  if (s & GIT_STATUS_INDEX_RENAMED) return "renamed:    ";
  if (s & GIT_STATUS_INDEX_TYPECHANGE) return "typechange: ";
  return "modified:   ";
}

std::string WorktreeWord(unsigned s) {
  if (s & GIT_STATUS_WT_DELETED) return "deleted:    ";
  if (s & GIT_STATUS_WT_TYPECHANGE) return "typechange: ";
  if (s & GIT_STATUS_WT_RENAMED) return "renamed:    ";
  return "modified:   ";
}

// The path as the agent sees it: relative to its root.
std::string Shown(const GitRepo& repo, const git_diff_delta* d) {
  std::string path = d->new_file.path != nullptr ? d->new_file.path : d->old_file.path;
  if (!repo.prefix().empty() && path.rfind(repo.prefix(), 0) == 0) path = path.substr(repo.prefix().size());
  return path;
}

base::Result<Sections> Collect(const GitRepo& repo, std::string pathspec) {
  git_status_options opts;
  GIT_RETURN_IF_ERROR("cannot read status", git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION));
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
               GIT_STATUS_OPT_SORT_CASE_SENSITIVELY;
  char* spec[1] = {pathspec.data()};
  if (!pathspec.empty()) {
    opts.pathspec.strings = spec;
    opts.pathspec.count = 1;
  }
  git_status_list* raw = nullptr;
  GIT_RETURN_IF_ERROR("cannot read status", git_status_list_new(&raw, repo.get(), &opts));
  git::StatusListPtr list(raw);
  Sections out;
  const size_t n = git_status_list_entrycount(raw);
  for (size_t i = 0; i < n; ++i) {
    const git_status_entry* e = git_status_byindex(raw, i);
    const unsigned s = e->status;
    if (s & GIT_STATUS_CONFLICTED) {
      out.conflicted.push_back(Shown(repo, e->index_to_workdir != nullptr ? e->index_to_workdir : e->head_to_index));
      continue;
    }
    if (e->head_to_index != nullptr) out.staged.push_back(IndexWord(s) + Shown(repo, e->head_to_index));
    if (e->index_to_workdir == nullptr) continue;
    if (s & GIT_STATUS_WT_NEW) {
      out.untracked.push_back(Shown(repo, e->index_to_workdir));
    } else if (s & (GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_DELETED | GIT_STATUS_WT_TYPECHANGE |
                    GIT_STATUS_WT_RENAMED)) {
      out.unstaged.push_back(WorktreeWord(s) + Shown(repo, e->index_to_workdir));
    }
  }
  return out;
}

void AddSection(std::string& text, const char* title, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  text += std::string(title) + " (" + std::to_string(lines.size()) + "):\n";
  for (const auto& l : lines) text += "  " + l + "\n";
}

class GitStatusTool : public BuiltinTool {
 public:
  std::string name() const override { return "git_status"; }
  std::string description() const override {
    return "Show the git branch and which files are staged, changed but not staged, and untracked (ignored files "
           "are not listed). Use git_diff to see the changes themselves.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("path", "Only files under this file or directory. Default: the whole repository.", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(GitRepo repo, GitRepo::Open(context.repo_root));
    TOOL_ASSIGN_OR_ERROR(std::string spec, git::RootPathspec(repo, args.String("path")));
    TOOL_ASSIGN_OR_ERROR(std::string branch, BranchLine(repo));
    TOOL_ASSIGN_OR_ERROR(Sections s, Collect(repo, spec));
    ToolResult result;
    result.text = branch + "\n";
    AddSection(result.text, "Unmerged (conflicts)", s.conflicted);
    AddSection(result.text, "Staged", s.staged);
    AddSection(result.text, "Not staged", s.unstaged);
    AddSection(result.text, "Untracked", s.untracked);
    if (s.conflicted.empty() && s.staged.empty() && s.unstaged.empty() && s.untracked.empty()) {
      result.text += "Nothing to commit, working tree clean\n";
    }
    result.details = {{"branch", branch},
                      {"staged", s.staged.size()},
                      {"unstaged", s.unstaged.size()},
                      {"untracked", s.untracked.size()},
                      {"conflicted", s.conflicted.size()}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewGitStatusTool() { return std::make_unique<GitStatusTool>(); }

}  // namespace tools
