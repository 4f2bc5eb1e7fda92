// `longhaul sessions ls|show|fork|rm|gc|export`: manage the session store.
// Every subcommand takes --data-dir and --json; export writes the event
// log as JSONL (one event per line) either way.
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "sessions/store.h"
#include "tools/git_checkpoints.h"

namespace cli {
namespace {

struct SessionsFlags {
  std::string data_dir;
  bool json = false;
  std::string id;
  std::optional<int64_t> at;
  std::string name;
  std::vector<std::string> repos;  // gc: also sweep these repositories' file checkpoints
};

base::Result<std::unique_ptr<sessions::Store>> OpenStore(const SessionsFlags& f) {
  const std::string dir = f.data_dir.empty() ? sessions::DefaultDataDir() : f.data_dir;
  if (dir.empty()) return base::InvalidArgument("no data directory: pass --data-dir DIR");
  return sessions::Store::Open({.data_dir = dir});
}

nlohmann::json ToJson(const sessions::SessionInfo& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"title", s.title},
          {"repo", s.repo},
          {"model_fingerprint", s.model_fingerprint},
          {"model_path", s.model_path},
          {"policy", s.policy},
          {"parent_id", s.parent_id},
          {"fork_checkpoint", s.fork_checkpoint},
          {"head_checkpoint", s.head_checkpoint},
          {"status", s.status},
          {"created_us", s.created_us},
          {"updated_us", s.updated_us},
          {"tokens", s.n_tokens},
          {"checkpoints", s.n_checkpoints},
          {"events", s.n_events}};
}

nlohmann::json ToJson(const sessions::CheckpointInfo& c) {
  return {{"id", c.id},
          {"session_id", c.session_id},
          {"seq", c.seq},
          {"parent_id", c.parent_id},
          {"tokens", c.n_past},
          {"new_blocks", c.new_blocks},
          {"live_bytes", c.live_bytes},
          {"event_seq", c.event_seq},
          {"created_us", c.created_us}};
}

std::string Display(const std::string& s) { return s.empty() ? "-" : s; }

int RunLs(const SessionsFlags& f) {
  auto store = OpenStore(f);
  if (!store.ok()) return ReportError(store.status());
  auto list = (*store)->List();
  if (!list.ok()) return ReportError(list.status());
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *list) out.push_back(ToJson(s));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("%-16s  %-20s  %8s  %5s  %6s  %s\n", "ID", "NAME", "TOKENS", "CKPTS", "EVENTS", "PARENT");
  for (const auto& s : *list) {
    std::printf("%-16s  %-20s  %8lld  %5lld  %6lld  %s\n", s.id.c_str(), Display(s.name).c_str(),
                static_cast<long long>(s.n_tokens), static_cast<long long>(s.n_checkpoints),
                static_cast<long long>(s.n_events), Display(s.parent_id).c_str());
  }
  return kExitOk;
}

int RunShow(const SessionsFlags& f) {
  auto store = OpenStore(f);
  if (!store.ok()) return ReportError(store.status());
  auto s = (*store)->Find(f.id);
  if (!s.ok()) return ReportError(s.status());
  auto checkpoints = (*store)->Checkpoints(s->id);
  if (!checkpoints.ok()) return ReportError(checkpoints.status());
  if (f.json) {
    nlohmann::json out = ToJson(*s);
    out["checkpoint_list"] = nlohmann::json::array();
    for (const auto& c : *checkpoints) out["checkpoint_list"].push_back(ToJson(c));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("id:          %s\nname:        %s\nmodel:       %s (%s)\npolicy:      %s\n", s->id.c_str(),
              Display(s->name).c_str(), s->model_fingerprint.c_str(), Display(s->model_path).c_str(),
              s->policy.c_str());
  if (!s->parent_id.empty()) {
    std::printf("forked from: %s at checkpoint %lld\n", s->parent_id.c_str(),
                static_cast<long long>(s->fork_checkpoint));
  }
  std::printf("head:        checkpoint %lld, %lld tokens\nevents:      %lld\n",
              static_cast<long long>(s->head_checkpoint), static_cast<long long>(s->n_tokens),
              static_cast<long long>(s->n_events));
  std::printf("checkpoints:\n  %6s %4s %8s %10s %10s\n", "ID", "SEQ", "TOKENS", "NEW_BLOCKS", "LIVE_BYTES");
  for (const auto& c : *checkpoints) {
    std::printf("  %6lld %4lld %8lld %10lld %10llu\n", static_cast<long long>(c.id), static_cast<long long>(c.seq),
                static_cast<long long>(c.n_past), static_cast<long long>(c.new_blocks),
                static_cast<unsigned long long>(c.live_bytes));
  }
  return kExitOk;
}

int RunFork(const SessionsFlags& f) {
  auto store = OpenStore(f);
  if (!store.ok()) return ReportError(store.status());
  auto fork = (*store)->Fork(f.id, {.at_checkpoint = f.at, .name = f.name});
  if (!fork.ok()) return ReportError(fork.status());
  if (f.json) {
    std::cout << ToJson(*fork).dump(2) << "\n";
  } else {
    std::printf("forked %s at checkpoint %lld: %s%s\n", f.id.c_str(), static_cast<long long>(fork->fork_checkpoint),
                fork->id.c_str(), fork->name.empty() ? "" : (" (" + fork->name + ")").c_str());
  }
  return kExitOk;
}

int RunRm(const SessionsFlags& f) {
  auto store = OpenStore(f);
  if (!store.ok()) return ReportError(store.status());
  auto s = (*store)->Find(f.id);
  if (!s.ok()) return ReportError(s.status());
  if (base::Status st = (*store)->Remove(s->id); !st.ok()) return ReportError(st);
  // Its file checkpoints go too, so `git gc` can prune their objects. A
  // repository that is gone or not git has none to remove.
  size_t refs = 0;
  if (!s->repo.empty()) {
    if (auto removed = tools::git::RemoveCheckpoints(s->repo, s->id); removed.ok()) refs = *removed;
  }
  if (f.json) {
    std::cout << nlohmann::json{{"removed", s->id}, {"name", s->name}, {"file_checkpoint_refs_removed", refs}}.dump()
              << "\n";
  } else {
    std::printf("removed %s (and %zu file checkpoint refs); run `longhaul sessions gc` to reclaim its space\n",
                s->id.c_str(), refs);
  }
  return kExitOk;
}

// File checkpoint refs (refs/longhaul/<session>/...) of sessions the store
// no longer has, in the repositories the remaining sessions use plus the
// ones named: what `rm` missed (a repository that was moved back, a store
// deleted by hand) goes here, so `git gc` can prune it.
size_t SweepFileCheckpoints(sessions::Store* store, const std::vector<std::string>& extra_repos,
                            std::vector<std::string>* warnings) {
  auto sessions = store->List();
  if (!sessions.ok()) {
    warnings->push_back(sessions.status().ToString());
    return 0;
  }
  std::set<std::string> live, repos(extra_repos.begin(), extra_repos.end());
  for (const auto& s : *sessions) {
    live.insert(s.id);
    if (!s.repo.empty()) repos.insert(s.repo);
  }
  size_t removed = 0;
  for (const std::string& repo : repos) {
    auto ids = tools::git::ListCheckpointSessions(repo);
    if (!ids.ok()) {
      // Gone, moved or not git: nothing of ours can be there to remove.
      if (ids.status().code() != base::StatusCode::kFailedPrecondition &&
          ids.status().code() != base::StatusCode::kNotFound) {
        warnings->push_back(repo + ": " + ids.status().ToString());
      }
      continue;
    }
    for (const std::string& id : *ids) {
      if (live.count(id)) continue;
      auto n = tools::git::RemoveCheckpoints(repo, id);
      if (n.ok()) {
        removed += *n;
      } else {
        warnings->push_back(repo + ": " + n.status().ToString());
      }
    }
  }
  return removed;
}

int RunGc(const SessionsFlags& f) {
  auto store = OpenStore(f);
  if (!store.ok()) return ReportError(store.status());
  auto gc = (*store)->Gc();
  if (!gc.ok()) return ReportError(gc.status());
  std::vector<std::string> warnings;
  const size_t refs = SweepFileCheckpoints(store->get(), f.repos, &warnings);
  nlohmann::json out = {{"checkpoints_removed", gc->checkpoints_removed},
                        {"blocks_removed", gc->blocks_removed},
                        {"segments_removed", gc->segments_removed},
                        {"segments_compacted", gc->segments_compacted},
                        {"files_removed", gc->files_removed},
                        {"files_skipped", gc->files_skipped},
                        {"bytes_reclaimed", gc->bytes_reclaimed},
                        {"file_checkpoint_refs_removed", refs}};
  for (const std::string& w : warnings) std::fprintf(stderr, "warning: file checkpoints: %s\n", w.c_str());
  if (f.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& [k, v] : out.items()) std::printf("%-20s %s\n", k.c_str(), v.dump().c_str());
  }
  return kExitOk;
}

int RunExport(const SessionsFlags& f) {
  auto store = OpenStore(f);
  if (!store.ok()) return ReportError(store.status());
  auto events = (*store)->Events(f.id);
  if (!events.ok()) return ReportError(events.status());
  for (const auto& e : *events) {
    nlohmann::json line = {{"session_id", e.session_id},
                           {"seq", e.seq},
                           {"kind", e.kind},
                           {"created_us", e.created_us},
                           {"payload", nlohmann::json::parse(e.payload, nullptr, /*allow_exceptions=*/false)}};
    std::cout << line.dump() << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterSessionsCommands(CommandTable& table) {
  auto flags = std::make_shared<SessionsFlags>();
  CLI::App* top = table.Add("sessions", "Manage persistent sessions (ls, show, fork, rm, gc, export)", nullptr);
  top->require_subcommand(1);
  auto common = [&](CLI::App* sub) {
    sub->add_option("--data-dir", flags->data_dir, "session store directory (default: $XDG_DATA_HOME/longhaul)");
    sub->add_flag("--json", flags->json, "machine-readable output");
  };
  auto with_id = [&](CLI::App* sub) { sub->add_option("ID", flags->id, "session name or id")->required(); };

  CLI::App* ls = top->add_subcommand("ls", "List sessions, newest first");
  common(ls);
  table.Track(ls, [flags] { return RunLs(*flags); });

  CLI::App* show = top->add_subcommand("show", "A session's details and checkpoints");
  common(show);
  with_id(show);
  table.Track(show, [flags] { return RunShow(*flags); });

  CLI::App* fork = top->add_subcommand("fork", "A new session starting from a checkpoint (O(1))");
  common(fork);
  with_id(fork);
  fork->add_option("--at", flags->at, "checkpoint id (see `sessions show`; default: the head)");
  fork->add_option("--name", flags->name, "name of the new session");
  table.Track(fork, [flags] { return RunFork(*flags); });

  CLI::App* rm = top->add_subcommand("rm", "Remove a session (blocks other sessions reach stay)");
  common(rm);
  with_id(rm);
  table.Track(rm, [flags] { return RunRm(*flags); });

  CLI::App* gc = top->add_subcommand("gc", "Reclaim checkpoints, blocks and files nothing reaches");
  common(gc);
  gc->add_option("--repo", flags->repos,
                 "also remove file checkpoint refs of removed sessions from this repository (repeatable)");
  table.Track(gc, [flags] { return RunGc(*flags); });

  CLI::App* exp = top->add_subcommand("export", "Write a session's event log as JSONL");
  common(exp);
  with_id(exp);
  table.Track(exp, [flags] { return RunExport(*flags); });
}

}  // namespace cli
