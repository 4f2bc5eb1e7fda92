// Helpers shared by the sandbox tests: scratch repositories, the probe
// binary, host-side listeners and process scans.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

namespace sandbox_testing {

// A scratch layout: <root>/repo (a git repository holding ./probe),
// <root>/outside (a host directory the sandbox must not write) and
// <root>/home (a fake home whose secrets are denied).
struct Scratch {
  std::string root;
  std::string repo;
  std::string outside;
  std::string home;
  // True when <root> is outside /tmp, so the sandbox sees `outside`
  // (read-only) instead of not at all (private /tmp).
  bool outside_visible = false;
  bool has_git = false;
};

// Under $HOME/.cache (visible read-only inside the sandbox) when possible,
// else under the temp dir. Removed at exit.
Scratch MakeScratch(bool prefer_home);

// DefaultPolicy with the fake home, small limits and a short timeout.
sandbox::Policy TestPolicy(const Scratch& scratch);

base::Result<sandbox::ExecResult> Run(const sandbox::Policy& policy, std::vector<std::string> argv,
                                      std::optional<sandbox::KernelFeatures> kernel = std::nullopt);

// The first line the probe printed, e.g. "write: EROFS (Read-only file system)";
// the error text when the run itself failed.
std::string ProbeLine(const base::Result<sandbox::ExecResult>& result);

bool HostHasProgram(const std::string& name);
bool Exists(const std::string& path);
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
// Runs `command` with /bin/sh on the host; returns its exit status.
int HostShell(const std::string& command);

// Host processes whose argv[0] is `name` (set with bash's `exec -a`).
int CountProcessesNamed(const std::string& name);
// Peak resident set of this process so far, in bytes.
uint64_t PeakRssBytes();

// A TCP listener / UDP socket on 127.0.0.1 that records whether anyone
// reached it.
class HostListener {
 public:
  explicit HostListener(bool udp);
  ~HostListener();
  int port() const { return port_; }
  bool Reached() const;  // a pending connection or datagram

 private:
  int fd_ = -1;
  int port_ = 0;
  bool udp_;
};

// An abstract unix socket listener.
class AbstractListener {
 public:
  explicit AbstractListener(const std::string& name);
  ~AbstractListener();
  bool Reached() const;

 private:
  int fd_ = -1;
};

// A host process (sleep) that the sandbox must neither see nor signal.
class HostSleeper {
 public:
  HostSleeper();
  ~HostSleeper();
  pid_t pid() const { return pid_; }
  bool Alive() const;

 private:
  pid_t pid_ = -1;
};

// The layers this kernel lacks for the default policy, e.g. " user_ns
// landlock"; empty when every required layer is available.
std::string MissingLayers();

}  // namespace sandbox_testing

// Skips the rest of a test loudly when the kernel truly lacks a layer the
// default policy requires (a container without user namespaces, a kernel
// without Landlock); the message names them.
#define REQUIRE_FULL_SANDBOX()                                                          \
  do {                                                                                  \
    const std::string lh_missing = ::sandbox_testing::MissingLayers();                 \
    if (!lh_missing.empty()) {                                                          \
      WARN("SKIPPED: this kernel lacks" << lh_missing << "; the test needs every layer"); \
      return;                                                                           \
    }                                                                                   \
  } while (0)
