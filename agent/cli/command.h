// The `longhaul` command: subcommand registration.
//
// Each subcommand lives in its own cmd_*.cc file and registers itself with
// a CommandTable: it declares its CLI11 options on a subcommand and gives
// the function that runs once parsing succeeded. Exit codes:
//   0 success, 1 runtime error (bad model file, I/O failure...),
//   2 usage error (unknown flag, missing argument).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsage = 2;

class CommandTable {
 public:
  explicit CommandTable(CLI::App* app) : app_(app) {}

  // Adds a subcommand. `run` is called when it is the one selected.
  CLI::App* Add(const std::string& name, const std::string& description, std::function<int()> run);
  // Registers `run` for a nested subcommand the caller created itself.
  void Track(CLI::App* sub, std::function<int()> run);

  // Runs the selected subcommand (searching nested ones) and returns its
  // exit code; kExitUsage with help text when none was selected.
  int RunSelected() const;

 private:
  struct Entry {
    CLI::App* app;
    std::function<int()> run;
  };
  CLI::App* app_;
  std::vector<Entry> entries_;
};

// Prints "error: <status>" to stderr and returns kExitRuntimeError.
int ReportError(const base::Status& status);

// Registration functions, one per cmd_*.cc file.
void RegisterInfoCommands(CommandTable& table);
void RegisterExecCommand(CommandTable& table);
void RegisterModelCommands(CommandTable& table);
void RegisterGenerateCommand(CommandTable& table);
void RegisterEvalCommands(CommandTable& table);
void RegisterPerplexityCommand(CommandTable& table);
void RegisterBenchCommands(CommandTable& table);
void RegisterSessionsCommands(CommandTable& table);
void RegisterRunCommands(CommandTable& table);
void RegisterUndoCommand(CommandTable& table);
// `bench kv` (cmd_bench_kv.cc), nested under the `bench` subcommand.
void RegisterBenchKvCommand(CommandTable& table, CLI::App* bench);
// `bench session` (cmd_bench_session.cc), nested under `bench`.
void RegisterBenchSessionCommand(CommandTable& table, CLI::App* bench);
// `bench tools` (cmd_bench_tools.cc), nested under `bench`.
void RegisterBenchToolsCommand(CommandTable& table, CLI::App* bench);

}  // namespace cli
