// The front ends of `longhaul run` and `longhaul resume` over one Agent:
// headless (--prompt, or messages read line by line from a pipe), with
// --json printing one event per line, and the interactive REPL.
//
// Threading: the caller's thread reads events and stdin; Ctrl-C (SIGINT)
// interrupts the running turn through a flag polled between events.
#pragma once

#include <string>

#include "agent/agent.h"

namespace cli {

struct FrontendOptions {
  bool json = false;
  bool color = false;     // ANSI colours (a terminal, and NO_COLOR unset)
  bool progress = false;  // a prefill progress bar on stderr
  std::string data_dir;   // for /sessions
};

// Runs one turn per message in `prompt` (when set) or per stdin line, or
// the REPL when stdin is a terminal. Returns the exit code: 0 when every
// turn finished, 3 when one hit --max-steps, 130 when interrupted, 1 on
// an error.
int RunFrontend(agent::Agent* agent, const std::string& prompt, const FrontendOptions& options);

}  // namespace cli
