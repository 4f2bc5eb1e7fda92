// `longhaul undo SESSION [--to STEP] [--list]`: put the repository's files
// back as they were at one of the session's file checkpoints (by default
// the one before the latest). The conversation is untouched: /undo in the
// REPL undoes both; `sessions fork --at` branches the conversation.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "sessions/store.h"
#include "tools/git_checkpoints.h"

namespace cli {
namespace {

struct UndoFlags {
  std::string session;
  std::string data_dir;
  int64_t to = -1;  // -1: the checkpoint before the latest
  bool list = false;
  bool json = false;
};

int RunUndo(const UndoFlags& f) {
  const std::string data_dir = f.data_dir.empty() ? sessions::DefaultDataDir() : f.data_dir;
  auto store = sessions::Store::Open({.data_dir = data_dir});
  if (!store.ok()) return ReportError(store.status());
  auto info = (*store)->Find(f.session);
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
  app->add_option("session", f->session, "session name or id")->required();
  app->add_option("--to", f->to, "the checkpoint step (default: the one before the latest)");
  app->add_flag("--list", f->list, "list the session's file checkpoints");
  app->add_option("--data-dir", f->data_dir, "session store directory (default: $XDG_DATA_HOME/longhaul)");
  app->add_flag("--json", f->json, "JSON output");
}

}  // namespace cli
