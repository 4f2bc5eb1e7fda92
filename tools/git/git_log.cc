// git_log: recent commits (hash, date, author, subject), optionally only
// those touching a path.
#include <string>

#include "tools/builtin.h"
#include "tools/git/git_repo.h"
#include "tools/git/git_tools.h"

namespace tools {
namespace {

using git::GitRepo;

// Commits examined for a path filter before giving up: bounds the time
// a path that changed long ago can take in a huge history.
constexpr int kMaxScanned = 20000;

// True when `commit` changed something under `spec` relative to its first
// parent (or, for a root commit, added something there).
base::Result<bool> Touches(const GitRepo& repo, git_commit* commit, std::string spec) {
  git_diff_options opts;
  GIT_RETURN_IF_ERROR("cannot set up the diff", git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION));
  char* slot[1] = {spec.data()};
  opts.pathspec.strings = slot;
  opts.pathspec.count = 1;
  ASSIGN_OR_RETURN(git::DiffPtr diff, git::DiffAgainstFirstParent(repo, commit, &opts));
  return git_diff_num_deltas(diff.get()) > 0;
}

std::string LogLine(const git_commit* c) {
  const git_signature* author = git_commit_author(c);
  return git::OidHex(*git_commit_id(c), 12) + "  " + git::FormatTime(author->when) + "  " + author->name + " <" +
         author->email + ">  " + git::Subject(c) + "\n";
}

class GitLogTool : public BuiltinTool {
 public:
  std::string name() const override { return "git_log"; }
  std::string description() const override {
    return "List commits, newest first: short hash, author date, author and subject. Use git_show with a hash "
           "to see one commit's message and patch.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .Integer("max_count", "How many commits at most. Default 20.", false, 1)
        .String("path", "Only commits that changed this file or directory.", false)
        .String("rev", "Start from this revision instead of HEAD (a branch, tag or hash).", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(GitRepo repo, GitRepo::Open(context.repo_root));
    const int64_t max_count = args.Int("max_count").value_or(20);
    std::string spec;
    if (args.Has("path")) {
      TOOL_ASSIGN_OR_ERROR(spec, git::RootPathspec(repo, args.String("path")));
    }
    TOOL_ASSIGN_OR_ERROR(git::TreePtr head_tree, repo.HeadTree());
    const std::string rev = args.String("rev", "HEAD");
    if (head_tree == nullptr && rev == "HEAD") {
      ToolResult empty;
      empty.text = "No commits yet\n";
      empty.details = {{"commits", 0}};
      return empty;
    }
    TOOL_ASSIGN_OR_ERROR(git::CommitPtr start, repo.ResolveCommit(rev));
    git_revwalk* raw = nullptr;
    GIT_RETURN_IF_ERROR("cannot walk history", git_revwalk_new(&raw, repo.get()));
    git::RevwalkPtr walk(raw);
    GIT_RETURN_IF_ERROR("cannot walk history", git_revwalk_sorting(raw, GIT_SORT_TIME));
    GIT_RETURN_IF_ERROR("cannot walk history", git_revwalk_push(raw, git_commit_id(start.get())));
    ToolResult result;
    int64_t shown = 0;
    int scanned = 0;
    git_oid id;
    bool more = false;
    while (!more && scanned < kMaxScanned && git_revwalk_next(&id, raw) == 0) {
      ++scanned;
      git_commit* c = nullptr;
      GIT_RETURN_IF_ERROR("cannot read a commit", git_commit_lookup(&c, repo.get(), &id));
      git::CommitPtr commit(c);
      if (!spec.empty()) {
        TOOL_ASSIGN_OR_ERROR(bool touches, Touches(repo, c, spec));
        if (!touches) continue;
      }
      if (shown == max_count) {
        more = true;  // one past the limit: there is more to show
      } else {
        result.text += LogLine(c);
        ++shown;
      }
    }
    if (shown == 0) {
      result.text = "No commits" + (spec.empty() ? std::string() : " touch " + args.String("path")) + "\n";
    }
    if (more) result.text += "[more commits follow; raise max_count to see them]\n";
    result.details = {{"commits", shown}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewGitLogTool() { return std::make_unique<GitLogTool>(); }

}  // namespace tools
