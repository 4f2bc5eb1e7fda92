#include "sandbox/helper/exec_command.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sandbox/helper/steps.h"

namespace sandbox::helper {
namespace {

std::string EnvValue(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      return e.substr(name.size() + 1);
    }
  }
  return "";
}

// execvp's lookup, but in the plan's PATH rather than ours. Returns the
// first executable candidate, else the first existing one (so exec
// reports EACCES), else "" (not found).
std::string FindExecutable(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = EnvValue(env, "PATH");
  std::string existing;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      if (existing.empty()) existing = candidate;
    }
    start = end + 1;
  }
  return existing;
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// No allocation: the address-space limit is already in force.
[[noreturn]] void CannotExecute(const char* name, int err) {
  char msg[512];
  int n = std::snprintf(msg, sizeof(msg), "longhaul sandbox: cannot execute '%s': %s\n", name,
                        err == ENOENT ? "command not found" : std::strerror(err));
  if (n > 0) {
    ssize_t w = ::write(2, msg, static_cast<size_t>(n) < sizeof(msg) ? n : sizeof(msg) - 1);
    (void)w;
  }
  ::_exit(err == ENOENT ? 127 : 126);
}

}  // namespace

void PrepareContainer(const LaunchPlan& plan, const Report& report, std::vector<std::string>* notes) {
  if (plan.namespaces.mount) {
    if (base::Status s = BuildFilesystem(plan, notes); !s.ok()) report.Fail("mounts", s);
  }
  if (plan.namespaces.uts && !plan.hostname.empty()) {
    if (base::Status s = SetHostname(plan.hostname); !s.ok()) report.Fail("hostname", s);
  }
  if (plan.loopback_up) {
    if (base::Status s = BringLoopbackUp(); !s.ok()) report.Fail("loopback", s);
  }
}

void ConfineAndExec(const LaunchPlan& plan, const Report& report, const std::vector<std::string>& notes) {
  if (::chdir(plan.cwd.c_str()) != 0) report.Fail("cwd", base::ErrnoStatus("chdir " + plan.cwd, errno));
  // Everything that allocates happens before the rlimits.
  const std::string program = FindExecutable(plan.argv[0], plan.env);
  std::vector<char*> argv = CStrings(plan.argv);
  std::vector<char*> envp = CStrings(plan.env);
  std::vector<std::string> applied_notes = notes;

  if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    report.Fail("no_new_privs", base::ErrnoStatus("PR_SET_NO_NEW_PRIVS", errno));
  }
  if (base::Status s = ApplyLandlock(plan.landlock, &applied_notes); !s.ok()) report.Fail("landlock", s);
  if (plan.drop_capabilities) {
    if (base::Status s = DropCapabilities(); !s.ok()) report.Fail("capabilities", s);
  }
  if (base::Status s = ApplySeccomp(plan.seccomp); !s.ok()) report.Fail("seccomp", s);
  report.Applied(plan, applied_notes);
  if (base::Status s = ApplyRlimits(plan.rlimits); !s.ok()) report.Fail("rlimits", s);
  if (program.empty()) CannotExecute(plan.argv[0].c_str(), ENOENT);
  ::execve(program.c_str(), argv.data(), envp.data());
  CannotExecute(plan.argv[0].c_str(), errno);
}

}  // namespace sandbox::helper
