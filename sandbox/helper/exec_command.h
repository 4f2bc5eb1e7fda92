// The two halves of the helper's work inside the namespaces.
#pragma once

#include <string>
#include <vector>

#include "sandbox/helper/report.h"
#include "sandbox/launch_plan.h"

namespace sandbox::helper {

// Mount tree, hostname, loopback: what the whole namespace shares. Runs
// as pid 1 when there is a pid namespace (a new /proc needs that). On
// failure it reports and exits.
void PrepareContainer(const LaunchPlan& plan, const Report& report, std::vector<std::string>* notes);

// Confines the calling process (no_new_privs, Landlock, capabilities,
// seccomp, rlimits), reports what was applied, and execs the command.
// Exit 127 / 126 with a message on stderr when it cannot be executed,
// like a shell.
[[noreturn]] void ConfineAndExec(const LaunchPlan& plan, const Report& report,
                                 const std::vector<std::string>& notes);

}  // namespace sandbox::helper
