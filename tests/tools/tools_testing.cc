#include "tests/tools/tools_testing.h"

#include <git2.h>
#include <limits.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/sandbox.h"
#include "tests/testing.h"

namespace tools_testing {

namespace fs = std::filesystem;

void Repo::Write(const std::string& relative, const std::string& content) const {
  const fs::path p = fs::path(root) / relative;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string Repo::Read(const std::string& relative) const {
  std::ifstream in(fs::path(root) / relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Repo::Exists(const std::string& relative) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(fs::path(root) / relative, ec));
}

void Repo::Mkdir(const std::string& relative) const { fs::create_directories(fs::path(root) / relative); }

void Repo::Symlink(const std::string& target, const std::string& relative) const {
  fs::create_symlink(target, fs::path(root) / relative);
}

void Repo::Track(const std::string& relative) const {
  git_libgit2_init();
  git_repository* repo = nullptr;
  git_index* index = nullptr;
  REQUIRE(git_repository_open(&repo, root.c_str()) == 0);
  REQUIRE(git_repository_index(&index, repo) == 0);
  CHECK(git_index_add_bypath(index, relative.c_str()) == 0);
  CHECK(git_index_write(index) == 0);
  git_index_free(index);
  git_repository_free(repo);
  git_libgit2_shutdown();
}

Repo MakeRepo(bool git) {
  Repo r;
  char real[PATH_MAX];
  const std::string dir = testing::MakeTempDir("longhaul-tools");
  REQUIRE(::realpath(dir.c_str(), real) != nullptr);
  r.root = real;
  r.context.repo_root = r.root;
  if (git) {
    git_libgit2_init();
    git_repository* repo = nullptr;
    REQUIRE(git_repository_init(&repo, r.root.c_str(), 0) == 0);
    git_repository_free(repo);
    git_libgit2_shutdown();
  }
  return r;
}

tools::ToolResult Call(const std::string& name, const nlohmann::json& arguments, const tools::ToolContext& context) {
  for (const auto& tool : tools::BuiltinTools()) {
    if (tool->name() != name) continue;
    auto result = tool->Run(arguments, context);
    INFO(name << " " << arguments.dump());
    REQUIRE(result.ok());
    INFO(result->text);
    // Invariants of every result, checked on every call.
    CHECK(result->text.size() <= std::max<uint64_t>(context.limits.model_output_bytes, 1));
    CHECK(result->truncated == (result->text != result->full_output));
    return *result;
  }
  FAIL("no built-in tool named " << name);
  return {};
}

std::string MissingSandboxLayers() {
  const sandbox::KernelFeatures& k = sandbox::ProbeKernelFeatures();
  std::string missing;
  if (!k.user_namespace) missing += " user_ns";
  if (!k.mount_namespace || !k.mount_setattr) missing += " mount_ns";
  if (!k.pid_namespace) missing += " pid_ns";
  if (!k.net_namespace) missing += " net_ns";
  if (!k.ipc_namespace) missing += " ipc_ns";
  if (!k.uts_namespace) missing += " uts_ns";
  if (k.landlock_abi < 1) missing += " landlock_fs";
  if (!k.seccomp_filter) missing += " seccomp";
  return missing;
}

}  // namespace tools_testing
