// git_diff: unstaged, staged, or the working tree against a checkpoint.
#include <string>

#include "tools/builtin.h"
#include "tools/git/diff_text.h"
#include "tools/git/git_repo.h"
#include "tools/git/git_tools.h"

namespace tools {
namespace {

using git::GitRepo;

// A checkpoint argument as a ref: "refs/..." as given, "<session>/<step>"
// under refs/longhaul/.
base::Result<std::string> CheckpointRefName(const std::string& arg) {
  if (arg.rfind("refs/", 0) == 0) return arg;
  if (arg.find('/') != std::string::npos) return "refs/longhaul/" + arg;
  return base::InvalidArgument("checkpoint \"" + arg + "\" must be <session>/<step> or a refs/longhaul/... ref");
}

base::Result<git::TreePtr> CheckpointTree(const GitRepo& repo, const std::string& arg) {
  ASSIGN_OR_RETURN(std::string ref, CheckpointRefName(arg));
  git_oid id;
  if (git_reference_name_to_id(&id, repo.get(), ref.c_str()) < 0) {
    return base::InvalidArgument("no checkpoint " + ref);
  }
  ASSIGN_OR_RETURN(git::CommitPtr commit, repo.ResolveCommit(git::OidHex(id)));
  git_tree* tree = nullptr;
  GIT_RETURN_IF_ERROR("cannot read the checkpoint's tree", git_commit_tree(&tree, commit.get()));
  return git::TreePtr(tree);
}

struct Request {
  bool staged = false;
  std::string checkpoint;
  std::string path;
};

// The diff and what it compares, in words.
base::Result<std::pair<git::DiffPtr, std::string>> MakeDiff(const GitRepo& repo, const Request& req) {
  ASSIGN_OR_RETURN(std::string spec, git::RootPathspec(repo, req.path));
  git::DiffScope scope{spec, !req.checkpoint.empty()};
  char* slot = nullptr;
  git_diff_options opts;
  RETURN_IF_ERROR(git::InitDiffOptions(scope, &slot, &opts));
  git_diff* raw = nullptr;
  std::string what;
  if (!req.checkpoint.empty()) {
    ASSIGN_OR_RETURN(git::TreePtr tree, CheckpointTree(repo, req.checkpoint));
    GIT_RETURN_IF_ERROR("cannot diff", git_diff_tree_to_workdir(&raw, repo.get(), tree.get(), &opts));
    what = "checkpoint " + req.checkpoint + " -> working tree (untracked files included)";
  } else if (req.staged) {
    ASSIGN_OR_RETURN(git::TreePtr head, repo.HeadTree());
    GIT_RETURN_IF_ERROR("cannot diff", git_diff_tree_to_index(&raw, repo.get(), head.get(), nullptr, &opts));
    what = "staged changes (HEAD -> index)";
  } else {
    GIT_RETURN_IF_ERROR("cannot diff", git_diff_index_to_workdir(&raw, repo.get(), nullptr, &opts));
    what = "unstaged changes (index -> working tree; untracked files not shown)";
  }
  return std::make_pair(git::DiffPtr(raw), what);
}

class GitDiffTool : public BuiltinTool {
 public:
  std::string name() const override { return "git_diff"; }
  std::string description() const override {
    return "Show changes as a unified diff: by default the unstaged changes (working tree against the index); "
           "staged=true for the staged ones (index against HEAD); checkpoint=\"<session>/<step>\" for the working "
           "tree against a longhaul checkpoint, untracked files included. path limits it to a file or directory.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .Boolean("staged", "Show staged changes instead of unstaged ones. Default false.", false)
        .String("checkpoint", "A checkpoint, \"<session>/<step>\" or its refs/longhaul/... ref, to diff against.",
                false)
        .String("path", "Only this file or directory (relative to the repository root).", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    Request req{args.Bool("staged", false), args.String("checkpoint"), args.String("path")};
    if (req.staged && !req.checkpoint.empty()) {
      return ErrorResult("give either staged or checkpoint, not both");
    }
    TOOL_ASSIGN_OR_ERROR(GitRepo repo, GitRepo::Open(context.repo_root));
    TOOL_ASSIGN_OR_ERROR(auto diff, MakeDiff(repo, req));
    TOOL_ASSIGN_OR_ERROR(std::string summary, git::DiffSummary(diff.first.get()));
    TOOL_ASSIGN_OR_ERROR(std::string patch, git::PatchText(diff.first.get()));
    ToolResult result;
    const size_t files = git_diff_num_deltas(diff.first.get());
    result.details = {{"files", files}, {"compared", diff.second}};
    if (files == 0) {
      result.text = "No differences: " + diff.second + (req.path.empty() ? "" : ", under " + req.path) + "\n";
      return result;
    }
    result.text = diff.second + ": " + summary + "\n" + patch;
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewGitDiffTool() { return std::make_unique<GitDiffTool>(); }

}  // namespace tools
