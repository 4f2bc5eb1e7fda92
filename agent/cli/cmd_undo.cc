// `longhaul undo [SESSION | --session ID] [--to STEP] [--list]` (default:
// the latest session of the current directory): put the repository's files
// back as they were at one of the session's file checkpoints (by default
// the one before the latest). The conversation is untouched: /undo in the
// REPL undoes both; `sessions fork --at` branches the conversation.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "sessions/store.h"
#include "tools/git_checkpoints.h"

namespace cli {
namespace {

struct UndoFlags {
  std::string session;  // positional or --session; empty: the latest session of this directory
  std::string data_dir;
  int64_t to = -1;  // -1: the checkpoint before the latest
  bool list = false;
  bool json = false;
};

// The most recently updated session whose repository is the current
// directory (or contains it).
base::Result<sessions::SessionInfo> LatestSessionHere(sessions::Store* store) {
  std::error_code ec;
  const std::string here = std::filesystem::weakly_canonical(std::filesystem::current_path(ec), ec).string();
  ASSIGN_OR_RETURN(std::vector<sessions::SessionInfo> all, store->List());
  const sessions::SessionInfo* best = nullptr;
  for (const auto& s : all) {
    if (s.repo.empty()) continue;
    const std::string repo = std::filesystem::weakly_canonical(s.repo, ec).string();
    const bool inside = here == repo || here.starts_with(repo + "/");
    if (inside && (best == nullptr || s.updated_us > best->updated_us)) best = &s;
  }
  if (best == nullptr) {
    return base::NotFound("no session works in " + here + "; name one (longhaul undo SESSION, or --session ID)");
  }
  return *best;
}

int RunUndo(const UndoFlags& f) {
  const std::string data_dir = f.data_dir.empty() ? sessions::DefaultDataDir() : f.data_dir;
  auto store = sessions::Store::Open({.data_dir = data_dir});
  if (!store.ok()) return ReportError(store.status());
  auto info = f.session.empty() ? LatestSessionHere(store->get()) : (*store)->Find(f.session);
  if (!info.ok()) return ReportError(info.status());
  auto steps = tools::git::ListCheckpoints(info->repo, info->id);
  if (!steps.ok()) return ReportError(steps.status());
  if (f.list) {
    for (const auto& c : *steps) {
      if (f.json) std::cout << nlohmann::json{{"step", c.step}, {"commit", c.commit}, {"ref", c.ref}}.dump() << "\n";
      else std::printf("%4llu  %s  %s\n", static_cast<unsigned long long>(c.step), c.commit.substr(0, 12).c_str(),
                       c.ref.c_str());
    }
    return kExitOk;
  }
  if (steps->size() < 2 && f.to < 0) {
    return ReportError(base::FailedPrecondition("session " + info->id + " has no file change to undo"));
  }
  const uint64_t target = f.to >= 0 ? static_cast<uint64_t>(f.to) : (*steps)[steps->size() - 2].step;
  // The session must not be running while its files move under it.
  auto writer = (*store)->OpenWriter(info->id);
  if (!writer.ok()) return ReportError(writer.status());
  if (base::Status s = tools::git::Restore(info->repo, info->id, target); !s.ok()) return ReportError(s);
  const nlohmann::json event = {{"step", target}};
  if (base::Status s = (*writer)->AppendEvent("files_restored", event.dump()); !s.ok()) return ReportError(s);
  if (f.json) std::cout << nlohmann::json{{"session", info->id}, {"restored_step", target}}.dump() << "\n";
  else std::printf("restored the files of %s to checkpoint %llu\n", info->repo.c_str(),
                   static_cast<unsigned long long>(target));
  return kExitOk;
}

}  // namespace

void RegisterUndoCommand(CommandTable& table) {
  auto f = std::make_shared<UndoFlags>();
  CLI::App* app = table.Add("undo", "Restore a session's repository files to a file checkpoint",
                            [f] { return RunUndo(*f); });
  CLI::Option* positional = app->add_option("session", f->session, "session name or id (default: the latest here)");
  app->add_option("--session", f->session, "session name or id (the same as the positional)")->excludes(positional);
  app->add_option("--to", f->to, "the checkpoint step (default: the one before the latest)");
  app->add_flag("--list", f->list, "list the session's file checkpoints");
  app->add_option("--data-dir", f->data_dir, "session store directory (default: $XDG_DATA_HOME/longhaul)");
  app->add_flag("--json", f->json, "JSON output");
}

}  // namespace cli
