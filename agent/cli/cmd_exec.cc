// `longhaul exec --repo DIR [--timeout S] [--net] [--json] -- CMD ARGS...`:
// runs one command in the sandbox exactly as the agent would.
#include <iostream>
#include <memory>

#include "agent/cli/command.h"
#include "tools/shell.h"

namespace cli {
namespace {

// Exit status when the sandbox refused or failed to start the command, as
// `docker run` does; the command's own status is passed through otherwise.
constexpr int kExitSandboxFailed = 125;

struct ExecFlags {
  tools::ShellRequest request;
  bool json = false;
};

int RunExec(const ExecFlags& flags) {
  auto result = tools::RunCommandInSandbox(flags.request);
  if (!result.ok()) {
    if (flags.json) {
      std::cout << tools::FormatShellErrorJson(result.status()) << "\n";
    } else {
      std::cerr << "error: " << result.status().ToString() << "\n";
    }
    return kExitSandboxFailed;
  }
  if (flags.json) {
    std::cout << tools::FormatShellResultJson(*result) << "\n";
  } else {
    std::cout << result->stdout_stream.text << std::flush;
    std::cerr << result->stderr_stream.text;
    std::cerr << tools::FormatShellStatusLine(*result) << "\n";
  }
  return result->ShellExitCode();
}

}  // namespace

void RegisterExecCommand(CommandTable& table) {
  auto flags = std::make_shared<ExecFlags>();
  CLI::App* sub = table.Add("exec", "Run one command in the sandbox, exactly as the agent would",
                            [flags] { return RunExec(*flags); });
  sub->add_option("--repo", flags->request.repo, "Repository the command may write (required)")
      ->required();
  sub->add_option("--timeout", flags->request.timeout_seconds,
                  "Wall-clock limit in seconds; the whole process group is killed (default 120)")
      ->check(CLI::PositiveNumber);
  sub->add_flag("--net", flags->request.allow_network, "Allow network access (default: none)");
  sub->add_flag("--json", flags->json, "Print one JSON result instead of the output");
  sub->add_flag("--allow-degraded", flags->request.allow_degraded,
                "Run even when the kernel lacks some confinement layers (they are reported)");
  sub->add_option("--output-cap", flags->request.output_cap_bytes,
                  "Bytes of stdout and of stderr kept, head and tail (default 1048576)")
      ->check(CLI::PositiveNumber);
  sub->add_option("command", flags->request.argv, "The command and its arguments, after --")
      ->required();
  sub->footer(
      "Exit status: the command's own; 124 when killed at the timeout; 128+N when killed by "
      "signal N; 125 when the sandbox refused or failed to start the command.");
}

}  // namespace cli
