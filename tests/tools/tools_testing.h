// Helpers for the tools tests: scratch repositories and calling a tool by
// name.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tools/tool.h"

namespace tools_testing {

// A fresh canonical directory; `git` makes it a git repository (libgit2).
struct Repo {
  std::string root;
  tools::ToolContext context;

  void Write(const std::string& relative, const std::string& content) const;
  std::string Read(const std::string& relative) const;
  bool Exists(const std::string& relative) const;
  void Mkdir(const std::string& relative) const;
  void Symlink(const std::string& target, const std::string& relative) const;
  // Stages `relative` in the git index (the file counts as tracked).
  void Track(const std::string& relative) const;
};
Repo MakeRepo(bool git);

// Runs the built-in tool `name`; fails the test on an internal fault (a
// non-OK Status), which a tool must never produce for bad input.
tools::ToolResult Call(const std::string& name, const nlohmann::json& arguments, const tools::ToolContext& context);

// The layers this kernel lacks for the default sandbox policy, e.g.
// " user_ns landlock_fs"; empty when all are there.
std::string MissingSandboxLayers();

}  // namespace tools_testing
