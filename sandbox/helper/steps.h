// The steps the helper (`longhaul __sandbox-exec`) applies, in order:
//   outer process: CloseInheritedFds, UnshareNamespaces, WriteIdentityMaps
//   pid 1 of the new pid namespace (or the outer process without one):
//       BuildFilesystem, SetHostname, BringLoopbackUp
//   the command's process: no_new_privs, ApplyLandlock, DropCapabilities,
//       ApplySeccomp, ApplyRlimits, execve.
// Each returns a Status instead of aborting so that the helper can tell
// its parent precisely which step failed.
//
// Threading: the helper is single-threaded; these run between fork and
// exec and touch process-wide state (mounts, credentials, filters).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/launch_plan.h"

namespace sandbox::helper {

// Closes every descriptor above 2 except `keep_fd` (-1 for none): the
// command must inherit nothing from longhaul.
base::Status CloseInheritedFds(int keep_fd);

base::Status UnshareNamespaces(const NamespacePlan& ns);
// Maps the caller's own uid and gid to themselves inside the new user
// namespace (the only mapping an unprivileged process may write).
base::Status WriteIdentityMaps(uid_t uid, gid_t gid);
base::Status BringLoopbackUp();
base::Status SetHostname(const std::string& name);

// Builds the mount tree of plan.mounts and pivots into it. Skipped
// optional steps and non-security extras that failed are added to `notes`.
base::Status BuildFilesystem(const LaunchPlan& plan, std::vector<std::string>* notes);

base::Status ApplyLandlock(const LandlockPlan& plan, std::vector<std::string>* notes);
base::Status ApplySeccomp(const SeccompPlan& plan);
// Empties every capability set (bounding, ambient, effective, permitted,
// inheritable) and locks securebits so uid 0 regains none on exec; then
// verifies the sets are empty.
base::Status DropCapabilities();
base::Status ApplyRlimits(const std::vector<RlimitSetting>& limits);

}  // namespace sandbox::helper
