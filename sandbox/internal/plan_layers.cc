// Which layers a run gets, its rlimits and its environment. Pure.
#include <algorithm>
#include <cstdint>
#include <string>

#include "base/log.h"
#include "sandbox/internal/plan_parts.h"

namespace sandbox::internal {
namespace {

LayerStatus Active(Layer layer, std::string detail) {
  return {layer, LayerState::kActive, false, std::move(detail)};
}
LayerStatus NotNeeded(Layer layer, std::string detail) {
  return {layer, LayerState::kNotNeeded, false, std::move(detail)};
}
LayerStatus Unavailable(Layer layer, std::string detail) {
  return {layer, LayerState::kUnavailable, false, std::move(detail)};
}

LayerStatus Namespace(Layer layer, bool available, const char* what) {
  if (available) return Active(layer, std::string("new ") + what + " namespace");
  return Unavailable(layer, std::string("the kernel refused a new ") + what + " namespace");
}

LayerStatus HardlinkGuard(const Policy& policy, const HostFacts& host, bool mount_ns) {
  const Layer layer = Layer::kHardlinkGuard;
  if (!host.hardlink_scan_complete) {
    return Unavailable(layer, "the repository scan for hard links stopped early (too many files)");
  }
  for (const std::string& f : host.hardlinked_files) {
    if (!IsValidUtf8(f)) return Unavailable(layer, "a hard-linked file name is not UTF-8");
  }
  size_t n = host.hardlinked_files.size();
  if (n == 0) return Active(layer, "no hard-linked files in the repository");
  if (!mount_ns) return Unavailable(layer, "hard-linked files need the mount namespace");
  if (n > policy.max_hardlink_guards) {
    return Unavailable(layer, std::to_string(n) + " hard-linked files exceed the limit of " +
                                  std::to_string(policy.max_hardlink_guards));
  }
  return Active(layer, std::to_string(n) + " hard-linked file(s) read-only");
}

LayerStatus ProcessLimit(const Policy& policy, const HostFacts& host, bool own_proc) {
  const Layer layer = Layer::kProcessLimit;
  const std::string n = std::to_string(policy.limits.max_processes);
  if (own_proc) {
    return Active(layer, "pid_max " + std::to_string(PidMaxFor(policy.limits)) +
                             " in the pid namespace" + (host.root_identity ? "" : ", RLIMIT_NPROC " + n));
  }
  if (!host.root_identity) return Active(layer, "RLIMIT_NPROC " + n);
  return Unavailable(layer, "uid 0 is exempt from RLIMIT_NPROC and there is no pid namespace with its own /proc");
}

bool EnvNameAllowed(const std::vector<std::string>& allow, std::string_view name) {
  for (const std::string& pattern : allow) {
    if (!pattern.empty() && pattern.back() == '*') {
      std::string_view prefix(pattern.data(), pattern.size() - 1);
      if (name.substr(0, prefix.size()) == prefix) return true;
    } else if (name == pattern) {
      return true;
    }
  }
  return false;
}

void SetEnv(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::string entry = std::string(name) + "=" + std::string(value);
  for (std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

bool HasEnv(const std::vector<std::string>& env, std::string_view name) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
    return e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=';
  });
}

}  // namespace

uint64_t PidMaxFor(const Limits& limits) {
  // Past pid 300 the kernel allocates pids from [300, pid_max) in every
  // namespace, so this leaves max_processes of them to run at once (and at
  // most 299 more early on). The kernel's ceiling is 4194304.
  return std::min<uint64_t>(limits.max_processes + 300, 4194304);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : (c & (0x7F >> len));
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::vector<LayerStatus> PlanLayers(const Policy& policy, const HostFacts& host) {
  const KernelFeatures& k = host.kernel;
  std::vector<LayerStatus> layers;
  layers.push_back(Namespace(Layer::kUserNamespace, k.user_namespace, "user"));
  if (k.mount_namespace && k.mount_setattr) {
    layers.push_back(Active(Layer::kMountNamespace,
                            "read-only root, private /tmp, writable repo" +
                                std::string(policy.protect_git_dir ? ", read-only .git" : "")));
  } else if (k.mount_namespace) {
    layers.push_back(Unavailable(Layer::kMountNamespace,
                                 "no mount_setattr (Linux 5.12+) for a recursive read-only root"));
  } else {
    layers.push_back(Namespace(Layer::kMountNamespace, false, "mount"));
  }
  const bool mount_ns = layers.back().state == LayerState::kActive;
  layers.push_back(Namespace(Layer::kPidNamespace, k.pid_namespace, "pid"));
  if (policy.allow_network) {
    layers.push_back(NotNeeded(Layer::kNetNamespace, "network allowed by the policy"));
  } else {
    layers.push_back(Namespace(Layer::kNetNamespace, k.net_namespace, "net"));
  }
  const bool net_ns = layers.back().state == LayerState::kActive;
  layers.push_back(Namespace(Layer::kIpcNamespace, k.ipc_namespace, "ipc"));
  layers.push_back(Namespace(Layer::kUtsNamespace, k.uts_namespace, "uts"));

  const int abi = k.landlock_abi;
  const std::string abi_text = "Landlock ABI " + std::to_string(abi);
  if (abi >= 1) {
    layers.push_back(Active(Layer::kLandlockFilesystem, abi_text));
  } else {
    layers.push_back(Unavailable(Layer::kLandlockFilesystem,
                                 "Landlock is not built into or not enabled in this kernel"));
  }
  if (policy.allow_network) {
    layers.push_back(NotNeeded(Layer::kLandlockNetwork, "network allowed by the policy"));
  } else if (net_ns) {
    layers.push_back(NotNeeded(Layer::kLandlockNetwork, "the net namespace already isolates TCP"));
  } else if (abi >= 4) {
    layers.push_back(Active(Layer::kLandlockNetwork, "TCP bind and connect denied"));
  } else {
    layers.push_back(Unavailable(Layer::kLandlockNetwork, "needs Landlock ABI 4, have " +
                                                              std::to_string(abi)));
  }
  if (abi >= 6) {
    layers.push_back(Active(Layer::kLandlockScopes, "signals and abstract sockets scoped"));
  } else {
    layers.push_back(Unavailable(Layer::kLandlockScopes,
                                 "needs Landlock ABI 6, have " + std::to_string(abi)));
  }
  if (k.seccomp_filter) {
    layers.push_back(Active(Layer::kSeccomp, "syscall deny list, EPERM"));
  } else {
    layers.push_back(Unavailable(Layer::kSeccomp, "the kernel lacks seccomp filters"));
  }
  layers.push_back(Active(Layer::kCapabilities, "all capabilities dropped, no_new_privs"));
  layers.push_back(Active(Layer::kRlimits, "cpu, address space, processes, file size"));
  layers.push_back(ProcessLimit(policy, host, mount_ns && k.pid_namespace));
  layers.push_back(Active(Layer::kEnvironment, "allow-listed environment"));
  layers.push_back(HardlinkGuard(policy, host, mount_ns));

  for (LayerStatus& s : layers) {
    s.required = std::find(policy.required_layers.begin(), policy.required_layers.end(),
                           s.layer) != policy.required_layers.end();
  }
  return layers;
}

const LayerStatus& FindLayer(const std::vector<LayerStatus>& layers, Layer layer) {
  for (const LayerStatus& s : layers) {
    if (s.layer == layer) return s;
  }
  CHECK(false) << "layer missing from plan: " << LayerName(layer);
  return layers.front();
}

std::vector<RlimitSetting> PlanRlimits(const Limits& limits) {
  constexpr uint64_t kUnlimited = UINT64_MAX;
  auto limit = [](uint64_t v) { return v == 0 ? kUnlimited : v; };
  std::vector<RlimitSetting> r;
  // The hard CPU limit sits a little above the soft one: SIGXCPU first, so
  // the result names the cause, then SIGKILL for a process that ignores it.
  uint64_t cpu = limit(limits.cpu_seconds);
  r.push_back({"cpu", cpu, cpu == kUnlimited ? kUnlimited : cpu + 5});
  r.push_back({"as", limit(limits.address_space_bytes), limit(limits.address_space_bytes)});
  r.push_back({"nproc", limit(limits.max_processes), limit(limits.max_processes)});
  r.push_back({"fsize", limit(limits.max_file_bytes), limit(limits.max_file_bytes)});
  r.push_back({"nofile", limit(limits.max_open_files), limit(limits.max_open_files)});
  r.push_back({"core", 0, 0});
  return r;
}

std::vector<std::string> PlanEnvironment(const Policy& policy, const CommandSpec& command,
                                         bool private_tmp, const std::string& cwd) {
  std::vector<std::string> env;
  for (const std::string& entry : command.inherited_env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string_view name(entry.data(), eq);
    if (!IsValidUtf8(entry)) continue;  // cannot travel in the plan
    if (EnvNameAllowed(policy.env_allow, name) && !HasEnv(env, name)) env.push_back(entry);
  }
  for (const std::string& entry : policy.env_set) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    SetEnv(env, std::string_view(entry.data(), eq), std::string_view(entry).substr(eq + 1));
  }
  if (!HasEnv(env, "PATH")) SetEnv(env, "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
  if (private_tmp) SetEnv(env, "TMPDIR", "/tmp");
  SetEnv(env, "PWD", cwd);
  std::sort(env.begin(), env.end());
  return env;
}

}  // namespace sandbox::internal
