// Names of plan enums, the default policy, and small value helpers.
#include <string>
#include <utility>

#include "sandbox/sandbox.h"

namespace sandbox {
namespace {

constexpr std::pair<Layer, std::string_view> kLayerNames[] = {
    {Layer::kUserNamespace, "user_ns"},
    {Layer::kMountNamespace, "mount_ns"},
    {Layer::kPidNamespace, "pid_ns"},
    {Layer::kNetNamespace, "net_ns"},
    {Layer::kIpcNamespace, "ipc_ns"},
    {Layer::kUtsNamespace, "uts_ns"},
    {Layer::kLandlockFilesystem, "landlock_fs"},
    {Layer::kLandlockNetwork, "landlock_net"},
    {Layer::kLandlockScopes, "landlock_scopes"},
    {Layer::kSeccomp, "seccomp"},
    {Layer::kCapabilities, "capabilities"},
    {Layer::kRlimits, "rlimits"},
    {Layer::kProcessLimit, "process_limit"},
    {Layer::kEnvironment, "env_scrub"},
    {Layer::kHardlinkGuard, "hardlink_guard"},
};

constexpr std::pair<MountKind, std::string_view> kMountKindNames[] = {
    {MountKind::kReadOnlyRoot, "ro_root"},    {MountKind::kTmpfs, "tmpfs"},
    {MountKind::kBindWritable, "bind_rw"},    {MountKind::kBindReadOnly, "bind_ro"},
    {MountKind::kMask, "mask"},               {MountKind::kProc, "proc"},
    {MountKind::kMinimalDev, "dev"},
};

}  // namespace

std::string_view LayerName(Layer layer) {
  for (const auto& [l, name] : kLayerNames) {
    if (l == layer) return name;
  }
  return "unknown";
}

std::optional<Layer> ParseLayerName(std::string_view name) {
  for (const auto& [l, n] : kLayerNames) {
    if (n == name) return l;
  }
  return std::nullopt;
}

std::string_view LayerStateName(LayerState state) {
  switch (state) {
    case LayerState::kActive: return "active";
    case LayerState::kNotNeeded: return "not_needed";
    case LayerState::kUnavailable: return "unavailable";
  }
  return "unknown";
}

std::string_view MountKindName(MountKind kind) {
  for (const auto& [k, name] : kMountKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<MountKind> ParseMountKind(std::string_view name) {
  for (const auto& [k, n] : kMountKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

uint64_t landlock::FilesystemRightsForAbi(int abi) {
  if (abi <= 0) return 0;
  uint64_t rights = (kMakeSym << 1) - 1;  // ABI 1: bits 0..12
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  if (abi >= 5) rights |= kIoctlDev;
  return rights;
}

Policy DefaultPolicy(const std::string& repo_root, const std::string& home_dir) {
  Policy policy;
  policy.repo_root = repo_root;
  if (!home_dir.empty() && home_dir != "/") {
    // Credentials an agent never needs to read. Paths that do not exist are
    // skipped at launch.
    for (const char* secret :
         {".ssh", ".aws", ".gnupg", ".azure", ".kube", ".docker", ".netrc", ".git-credentials",
          ".config/gcloud", ".config/gh", ".config/hub", ".pypirc", ".npmrc", ".cargo/credentials",
          ".cargo/credentials.toml", ".terraform.d/credentials.tfrc.json", ".vault-token"}) {
      policy.deny_paths.push_back(home_dir + "/" + secret);
    }
  }
  policy.env_allow = {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE",
                      "LC_*", "TERM", "TZ", "COLUMNS", "LINES", "NO_COLOR"};
  policy.env_set = {"LONGHAUL_SANDBOX=1",
                    // git must not try to refresh the read-only .git/index.
                    "GIT_OPTIONAL_LOCKS=0"};
  for (Layer layer : kAllLayers) {
    // Landlock network rules only matter without a net namespace and scopes
    // need ABI 6; both are reported but not demanded.
    if (layer == Layer::kLandlockNetwork || layer == Layer::kLandlockScopes) continue;
    policy.required_layers.push_back(layer);
  }
  return policy;
}

std::string CapturedOutput::Text() const {
  uint64_t dropped = dropped_bytes();
  if (dropped == 0) return head + tail;
  return head + "\n[... " + std::to_string(dropped) + " bytes omitted ...]\n" + tail;
}

}  // namespace sandbox
