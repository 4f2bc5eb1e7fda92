// Entry point of the `longhaul` command.
#include <iostream>
#include <string_view>

#include "agent/cli/command.h"
#include "base/log.h"
#include "tools/shell.h"

#ifndef LONGHAUL_VERSION
#define LONGHAUL_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  // The sandbox helper re-executes this binary; it must not see CLI11.
  if (argc > 1 && std::string_view(argv[1]) == "__sandbox-exec") {
    return tools::SandboxExecMain(argc, argv);
  }
  CLI::App app{"longhaul: a coding-agent runtime with its own inference engine"};
  app.set_version_flag("--version", "longhaul " LONGHAUL_VERSION);
  app.require_subcommand(0, 1);
  std::string log_level;
  app.add_option("--log-level", log_level, "debug, info, warning or error (default: warning)");

  cli::CommandTable table(&app);
  cli::RegisterInfoCommands(table);
  cli::RegisterExecCommand(table);
  cli::RegisterModelCommands(table);
  cli::RegisterGenerateCommand(table);
  cli::RegisterEvalCommands(table);
  cli::RegisterPerplexityCommand(table);
  cli::RegisterBenchCommands(table);
  cli::RegisterSessionsCommands(table);
  cli::RegisterRunCommands(table);
  cli::RegisterUndoCommand(table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // CLI11 returns 0 for --help/--version; any real parse error is usage.
    return code == 0 ? cli::kExitOk : cli::kExitUsage;
  }
  if (!log_level.empty()) {
    base::LogLevel level;
    if (!base::ParseLogLevel(log_level, &level)) {
      std::cerr << "error: unknown --log-level '" << log_level << "'\n";
      return cli::kExitUsage;
    }
    base::SetLogLevel(level);
  }
  return table.RunSelected();
}
