// The planner's pieces, one per part of the LaunchPlan. All pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/sandbox.h"

namespace sandbox::internal {

// The plan travels as JSON, which holds only UTF-8 text.
bool IsValidUtf8(std::string_view text);

// One LayerStatus per kAllLayers entry, in that order, with `required` set
// from the policy.
std::vector<LayerStatus> PlanLayers(const Policy& policy, const HostFacts& host);
const LayerStatus& FindLayer(const std::vector<LayerStatus>& layers, Layer layer);

// The mount steps for a new mount namespace, in application order.
struct MountChoice {
  bool guard_hardlinks = false;  // read-only re-binds of hard-linked files
  bool new_proc = false;         // a pid namespace gets its own /proc
};
std::vector<MountStep> PlanMounts(const Policy& policy, const HostFacts& host,
                                  const MountChoice& choice);

struct LandlockChoice {
  int abi = 0;
  bool private_tmp = false;  // a mount namespace gives /tmp etc. of our own
  bool restrict_tcp = false;
  bool scopes = false;
};
LandlockPlan PlanLandlock(const Policy& policy, const LandlockChoice& choice);

SeccompPlan PlanSeccomp();
std::vector<RlimitSetting> PlanRlimits(const Limits& limits);
uint64_t PidMaxFor(const Limits& limits);

// The allow-listed caller environment plus the policy's fixed settings,
// sorted by name so the plan is deterministic.
std::vector<std::string> PlanEnvironment(const Policy& policy, const CommandSpec& command,
                                         bool private_tmp, const std::string& cwd);

}  // namespace sandbox::internal
