// git_show: one commit's header, message and patch (against its first
// parent; a root commit shows everything as added).
#include <string>

#include "tools/builtin.h"
#include "tools/git/diff_text.h"
#include "tools/git/git_repo.h"
#include "tools/git/git_tools.h"

namespace tools {
namespace {

using git::GitRepo;

std::string Header(const git_commit* c) {
  const git_signature* author = git_commit_author(c);
  std::string text = "commit " + git::OidHex(*git_commit_id(c)) + "\n";
  const unsigned parents = git_commit_parentcount(c);
  if (parents > 1) {
    text += "Merge:";
    for (unsigned i = 0; i < parents; ++i) text += " " + git::OidHex(*git_commit_parent_id(c, i), 12);
    text += " (the patch is against the first parent)\n";
  }
  text += std::string("Author: ") + author->name + " <" + author->email + ">\n";
  text += "Date:   " + git::FormatTime(author->when) + "\n\n";
  const char* message = git_commit_message(c);
  std::string line;
  for (const char* p = message != nullptr ? message : ""; *p != '\0'; ++p) {
    if (*p == '\n') {
      text += "    " + line + "\n";
      line.clear();
    } else {
      line += *p;
    }
  }
  if (!line.empty()) text += "    " + line + "\n";
  return text + "\n";
}

base::Result<git::DiffPtr> CommitDiff(const GitRepo& repo, git_commit* commit) {
  return git::DiffAgainstFirstParent(repo, commit, nullptr);
}

class GitShowTool : public BuiltinTool {
 public:
  std::string name() const override { return "git_show"; }
  std::string description() const override {
    return "Show one commit: hash, author, date, full message, a change summary and its patch. rev is a hash "
           "(a prefix will do), branch, tag, HEAD~N or a checkpoint ref.";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder().String("rev", "The commit to show, e.g. HEAD, HEAD~2, a1b2c3d, main.", true).Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    TOOL_ASSIGN_OR_ERROR(GitRepo repo, GitRepo::Open(context.repo_root));
    TOOL_ASSIGN_OR_ERROR(git::CommitPtr commit, repo.ResolveCommit(args.String("rev")));
    TOOL_ASSIGN_OR_ERROR(git::DiffPtr diff, CommitDiff(repo, commit.get()));
    TOOL_ASSIGN_OR_ERROR(std::string summary, git::DiffSummary(diff.get()));
    TOOL_ASSIGN_OR_ERROR(std::string patch, git::PatchText(diff.get()));
    ToolResult result;
    result.text = Header(commit.get()) + summary + "\n\n" + patch;
    result.details = {{"commit", git::OidHex(*git_commit_id(commit.get()))},
                      {"files", git_diff_num_deltas(diff.get())}};
    return result;
  }
};

}  // namespace

std::unique_ptr<Tool> NewGitShowTool() { return std::make_unique<GitShowTool>(); }

}  // namespace tools
