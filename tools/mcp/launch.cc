#include "tools/mcp/launch.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

extern char** environ;

namespace tools::mcp {
namespace {

// A server lives for the whole session; its CPU limit only stops one that
// spins between calls forever.
constexpr uint64_t kServerCpuSeconds = 6 * 3600;

}  // namespace

std::string CurrentHomeDir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    const struct passwd* pw = ::getpwuid(::getuid());
    home = pw != nullptr ? pw->pw_dir : "";
  }
  char real[PATH_MAX];
  return ::realpath(home, real) != nullptr ? std::string(real) : std::string(home);
}

sandbox::Policy PluginPolicy(const PluginSpec& spec, const LaunchSettings& launch, double timeout_seconds,
                             uint64_t output_cap_bytes) {
  sandbox::Policy policy = sandbox::DefaultPolicy(launch.repo_root, launch.home_dir);
  policy.allow_network = spec.network;
  policy.limits.timeout_seconds = timeout_seconds;
  policy.limits.cpu_seconds = kServerCpuSeconds;
  policy.limits.output_cap_bytes = output_cap_bytes;
  policy.limits.output_kill_bytes = std::max(policy.limits.output_kill_bytes, 2 * output_cap_bytes);
  for (const auto& [name, value] : spec.env) policy.env_set.push_back(name + "=" + value);
  if (launch.allow_degraded_sandbox) policy.required_layers.clear();
  return policy;
}

sandbox::CommandSpec PluginCommand(std::vector<std::string> argv) {
  sandbox::CommandSpec command;
  command.argv = std::move(argv);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) command.inherited_env.emplace_back(*e);
  return command;
}

sandbox::ExecOptions PluginExecOptions(const LaunchSettings& launch) {
  sandbox::ExecOptions options;
  options.helper_binary = launch.helper_binary;
  return options;
}

}  // namespace tools::mcp
