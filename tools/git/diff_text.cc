#include "tools/git/diff_text.h"

namespace tools::git {
namespace {

int AppendLine(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
  auto* out = static_cast<std::string*>(payload);
  // Content lines carry their origin ('+', '-', ' ') separately; header,
  // hunk and binary lines come whole.
  if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
      line->origin == GIT_DIFF_LINE_DELETION) {
    out->push_back(line->origin);
  }
  out->append(line->content, line->content_len);
  if (line->origin == GIT_DIFF_LINE_CONTEXT_EOFNL || line->origin == GIT_DIFF_LINE_ADD_EOFNL ||
      line->origin == GIT_DIFF_LINE_DEL_EOFNL) {
    if (out->empty() || out->back() != '\n') out->push_back('\n');
  }
  return 0;
}

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

base::Result<std::string> PatchText(git_diff* diff) {
  std::string out;
  GIT_RETURN_IF_ERROR("cannot print the diff", git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, AppendLine, &out));
  return out;
}

base::Result<std::string> DiffSummary(git_diff* diff) {
  git_diff_stats* raw = nullptr;
  GIT_RETURN_IF_ERROR("cannot count the diff", git_diff_get_stats(&raw, diff));
  Handle<git_diff_stats, git_diff_stats_free> stats(raw);
  return Plural(git_diff_stats_files_changed(raw), "file changed", "files changed") + ", " +
         Plural(git_diff_stats_insertions(raw), "insertion(+)", "insertions(+)") + ", " +
         Plural(git_diff_stats_deletions(raw), "deletion(-)", "deletions(-)");
}

base::Status InitDiffOptions(DiffScope& scope, char** pathspec_slot, git_diff_options* opts) {
  GIT_RETURN_IF_ERROR("cannot set up the diff", git_diff_options_init(opts, GIT_DIFF_OPTIONS_VERSION));
  if (!scope.pathspec.empty()) {
    *pathspec_slot = scope.pathspec.data();
    opts->pathspec.strings = pathspec_slot;
    opts->pathspec.count = 1;
  }
  if (scope.include_untracked) {
    opts->flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_SHOW_UNTRACKED_CONTENT;
  }
  return base::Status::Ok();
}

}  // namespace tools::git
