// PlanLaunch: policy + command + host facts -> LaunchPlan. Pure.
#include <algorithm>
#include <cerrno>
#include <string>

#include "sandbox/internal/plan_parts.h"
#include "sandbox/sandbox.h"

namespace sandbox {
namespace {

// Absolute, no empty, "." or ".." components, no trailing slash. The
// planner works on canonical paths so that a prefix test means "beneath".
bool IsCanonicalAbsolute(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (!internal::IsValidUtf8(path) || path.find('\0') != std::string::npos) return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

base::Status ValidateInputs(const Policy& policy, const CommandSpec& command) {
  if (!IsCanonicalAbsolute(policy.repo_root) || policy.repo_root == "/") {
    return base::InvalidArgument("sandbox: repo root must be a canonical absolute path other than /: '" +
                                 policy.repo_root + "'");
  }
  for (const std::string& p : policy.extra_writable) {
    if (!IsCanonicalAbsolute(p) || p == "/") {
      return base::InvalidArgument("sandbox: writable path must be canonical and absolute: '" + p + "'");
    }
  }
  for (const std::string& p : policy.deny_paths) {
    if (!IsCanonicalAbsolute(p) || p == "/") {
      return base::InvalidArgument("sandbox: deny path must be canonical and absolute: '" + p + "'");
    }
  }
  if (command.argv.empty() || command.argv[0].empty()) {
    return base::InvalidArgument("sandbox: empty command");
  }
  for (const std::string& arg : command.argv) {
    if (!internal::IsValidUtf8(arg) || arg.find('\0') != std::string::npos) {
      return base::InvalidArgument("sandbox: command arguments must be UTF-8 without NUL bytes");
    }
  }
  for (const std::string& p : policy.env_set) {
    if (!internal::IsValidUtf8(p)) return base::InvalidArgument("sandbox: env_set must be UTF-8");
  }
  if (!command.cwd.empty() && !IsCanonicalAbsolute(command.cwd)) {
    return base::InvalidArgument("sandbox: working directory must be canonical and absolute: '" +
                                 command.cwd + "'");
  }
  const Limits& l = policy.limits;
  constexpr double kMaxTimeoutSeconds = 30 * 24 * 3600.0;
  if (!(l.timeout_seconds > 0) || l.timeout_seconds > kMaxTimeoutSeconds || l.output_cap_bytes == 0 ||
      l.max_processes == 0 || l.output_kill_bytes < l.output_cap_bytes) {
    return base::InvalidArgument(
        "sandbox: limits need a timeout between 0 and 30 days, a positive output cap and process "
        "count, and a kill threshold no smaller than the cap");
  }
  return base::Status::Ok();
}

base::Status CheckRequired(const Policy& policy, const std::vector<LayerStatus>& layers) {
  std::string missing;
  for (const LayerStatus& s : layers) {
    if (!s.required || s.state != LayerState::kUnavailable) continue;
    if (!missing.empty()) missing += "; ";
    missing += std::string(LayerName(s.layer)) + " (" + s.detail + ")";
  }
  (void)policy;
  if (missing.empty()) return base::Status::Ok();
  return base::FailedPrecondition(
      "sandbox: required confinement unavailable: " + missing +
      ". Refusing to run unconfined; drop these from the policy's required layers (longhaul exec "
      "--allow-degraded) to run with what the kernel offers.");
}

}  // namespace

base::Result<LaunchPlan> PlanLaunch(const Policy& policy, const CommandSpec& command,
                                    const HostFacts& host) {
  RETURN_IF_ERROR(ValidateInputs(policy, command));
  LaunchPlan plan;
  plan.layers = internal::PlanLayers(policy, host);
  RETURN_IF_ERROR(CheckRequired(policy, plan.layers));

  auto active = [&](Layer layer) {
    return internal::FindLayer(plan.layers, layer).state == LayerState::kActive;
  };
  plan.namespaces.user = active(Layer::kUserNamespace);
  plan.namespaces.mount = active(Layer::kMountNamespace);
  plan.namespaces.pid = active(Layer::kPidNamespace);
  plan.namespaces.net = active(Layer::kNetNamespace);
  plan.namespaces.ipc = active(Layer::kIpcNamespace);
  plan.namespaces.uts = active(Layer::kUtsNamespace);
  if (plan.namespaces.uts) plan.hostname = "longhaul-sandbox";
  plan.loopback_up = plan.namespaces.net;

  if (plan.namespaces.mount) {
    internal::MountChoice choice;
    choice.guard_hardlinks = active(Layer::kHardlinkGuard);
    choice.new_proc = plan.namespaces.pid;
    plan.mounts = internal::PlanMounts(policy, host, choice);
  }
  if (active(Layer::kLandlockFilesystem)) {
    internal::LandlockChoice choice;
    choice.abi = host.kernel.landlock_abi;
    choice.private_tmp = plan.namespaces.mount;
    choice.restrict_tcp = active(Layer::kLandlockNetwork);
    choice.scopes = active(Layer::kLandlockScopes);
    plan.landlock = internal::PlanLandlock(policy, choice);
  }
  if (active(Layer::kSeccomp)) plan.seccomp = internal::PlanSeccomp();
  plan.rlimits = internal::PlanRlimits(policy.limits);
  if (plan.namespaces.pid && plan.namespaces.mount) {
    plan.pid_max = internal::PidMaxFor(policy.limits);
    plan.pid_max_required = host.root_identity;
  }
  plan.cwd = command.cwd.empty() ? policy.repo_root : command.cwd;
  plan.env = internal::PlanEnvironment(policy, command, plan.namespaces.mount, plan.cwd);
  plan.argv = command.argv;
  plan.drop_capabilities = true;
  plan.no_new_privs = true;
  return plan;
}

}  // namespace sandbox
