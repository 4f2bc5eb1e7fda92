#include "agent/cli/command.h"

#include <iostream>

namespace cli {

CLI::App* CommandTable::Add(const std::string& name, const std::string& description,
                            std::function<int()> run) {
  CLI::App* sub = app_->add_subcommand(name, description);
  entries_.push_back({sub, std::move(run)});
  return sub;
}

void CommandTable::Track(CLI::App* sub, std::function<int()> run) {
  entries_.push_back({sub, std::move(run)});
}

int CommandTable::RunSelected() const {
  // The deepest parsed subcommand wins, so "model info" beats "model".
  const Entry* chosen = nullptr;
  int chosen_depth = -1;
  for (const Entry& entry : entries_) {
    if (!entry.app->parsed()) continue;
    int depth = 0;
    for (const CLI::App* p = entry.app; p->get_parent() != nullptr; p = p->get_parent()) ++depth;
    if (depth > chosen_depth) {
      chosen = &entry;
      chosen_depth = depth;
    }
  }
  if (chosen == nullptr || !chosen->run) {
    const CLI::App* scope = chosen ? chosen->app : app_;
    std::cerr << scope->help();
    return kExitUsage;
  }
  return chosen->run();
}

int ReportError(const base::Status& status) {
  std::cerr << "error: " << status.ToString() << "\n";
  return kExitRuntimeError;
}

}  // namespace cli
