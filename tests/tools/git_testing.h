// Helpers for the git tools and checkpoint tests: commits, stashes and
// what the user's repository state looks like, all through libgit2 so the
// tests need no git binary.
#pragma once

#include <cstddef>
#include <string>

namespace git_testing {

// Stages everything (git add -A) in the user's index and commits it on
// HEAD with a fixed signature; returns the commit's hex id.
std::string CommitAll(const std::string& root, const std::string& message);
// Stages one path in the user's index (a staged, uncommitted change).
void Stage(const std::string& root, const std::string& relative);
// git stash -u; returns the stash commit's hex id.
std::string Stash(const std::string& root);

// What must not change under checkpoints: HEAD (symbolic target or id),
// every ref outside refs/longhaul/ with its target, and the index file's
// bytes, as one comparable string.
std::string UserState(const std::string& root);

// Objects in the object database (loose and packed).
size_t CountObjects(const std::string& root);

bool IsExecutable(const std::string& path);
void SetExecutable(const std::string& path, bool on);

}  // namespace git_testing
