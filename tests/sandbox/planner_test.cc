// The launch planner is pure: these tests spawn nothing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cmath>

#include "sandbox/internal/output_capture.h"
#include "sandbox/internal/plan_json.h"
#include "sandbox/sandbox.h"

namespace {

using sandbox::Layer;
using sandbox::LayerState;
using sandbox::MountKind;
namespace ll = sandbox::landlock;

sandbox::KernelFeatures FullKernel() {
  sandbox::KernelFeatures k;
  k.user_namespace = k.mount_namespace = k.pid_namespace = k.net_namespace = true;
  k.ipc_namespace = k.uts_namespace = k.mount_setattr = k.seccomp_filter = true;
  k.landlock_abi = 7;
  return k;
}

sandbox::CommandSpec Cmd(std::vector<std::string> argv) {
  sandbox::CommandSpec c;
  c.argv = std::move(argv);
  c.inherited_env = {"PATH=/usr/bin:/bin", "HOME=/home/u", "AWS_SECRET_ACCESS_KEY=oops",
                     "LC_ALL=C.UTF-8", "LD_PRELOAD=/evil.so", "TMPDIR=/host/tmp"};
  return c;
}

sandbox::HostFacts Host(sandbox::KernelFeatures k = FullKernel()) {
  sandbox::HostFacts h;
  h.kernel = k;
  return h;
}

sandbox::LaunchPlan MustPlan(const sandbox::Policy& p, const sandbox::CommandSpec& c,
                             const sandbox::HostFacts& h) {
  auto plan = sandbox::PlanLaunch(p, c, h);
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  return *plan;
}

const sandbox::LayerStatus& LayerOf(const sandbox::LaunchPlan& plan, Layer layer) {
  auto it = std::find_if(plan.layers.begin(), plan.layers.end(),
                         [&](const sandbox::LayerStatus& s) { return s.layer == layer; });
  REQUIRE(it != plan.layers.end());
  return *it;
}

int IndexOf(const sandbox::LaunchPlan& plan, MountKind kind, const std::string& target) {
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    if (plan.mounts[i].kind == kind && plan.mounts[i].target == target) return static_cast<int>(i);
  }
  return -1;
}

uint64_t RuleAccess(const sandbox::LaunchPlan& plan, const std::string& path) {
  for (const auto& r : plan.landlock.rules) {
    if (r.path == path) return r.access;
  }
  return 0;
}

bool HasEnv(const sandbox::LaunchPlan& plan, const std::string& entry) {
  return std::find(plan.env.begin(), plan.env.end(), entry) != plan.env.end();
}

}  // namespace

TEST_CASE("planner: the default plan uses every layer on a full kernel", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/work/repo", "/home/u");
  auto plan = MustPlan(policy, Cmd({"make", "test"}), Host());

  CHECK(plan.namespaces.user);
  CHECK(plan.namespaces.mount);
  CHECK(plan.namespaces.pid);
  CHECK(plan.namespaces.net);
  CHECK(plan.namespaces.ipc);
  CHECK(plan.namespaces.uts);
  CHECK(plan.loopback_up);
  CHECK(plan.hostname == "longhaul-sandbox");
  CHECK(plan.cwd == "/work/repo");
  CHECK(plan.argv == std::vector<std::string>{"make", "test"});
  CHECK(plan.drop_capabilities);
  CHECK(plan.no_new_privs);
  REQUIRE(plan.layers.size() == std::size(sandbox::kAllLayers));
  for (const auto& s : plan.layers) {
    INFO(sandbox::LayerName(s.layer) << ": " << s.detail);
    if (s.layer == Layer::kLandlockNetwork) {
      CHECK(s.state == LayerState::kNotNeeded);  // the net namespace covers it
    } else {
      CHECK(s.state == LayerState::kActive);
    }
  }
  CHECK(LayerOf(plan, Layer::kSeccomp).required);
  CHECK_FALSE(LayerOf(plan, Layer::kLandlockScopes).required);
}

TEST_CASE("planner: mount tree order and contents", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/tmp/work/repo", "/home/u");
  auto host = Host();
  host.hardlinked_files = {"/tmp/work/repo/a.txt", "/elsewhere/b.txt"};
  auto plan = MustPlan(policy, Cmd({"true"}), host);

  REQUIRE_FALSE(plan.mounts.empty());
  CHECK(plan.mounts.front().kind == MountKind::kReadOnlyRoot);
  const int tmp = IndexOf(plan, MountKind::kTmpfs, "/tmp");
  const int repo = IndexOf(plan, MountKind::kBindWritable, "/tmp/work/repo");
  const int git = IndexOf(plan, MountKind::kBindReadOnly, "/tmp/work/repo/.git");
  const int ssh = IndexOf(plan, MountKind::kMask, "/home/u/.ssh");
  const int hardlink = IndexOf(plan, MountKind::kBindReadOnly, "/tmp/work/repo/a.txt");
  CHECK(tmp > 0);
  CHECK(repo > tmp);  // a repo under /tmp is bound on top of the private /tmp
  CHECK(git > repo);  // .git read-only on top of the writable repo
  CHECK(hardlink > repo);
  CHECK(ssh > git);   // masks last
  CHECK(IndexOf(plan, MountKind::kBindReadOnly, "/elsewhere/b.txt") == -1);
  CHECK(IndexOf(plan, MountKind::kProc, "/proc") > 0);
  CHECK(IndexOf(plan, MountKind::kBindReadOnly, "/proc/sys") > IndexOf(plan, MountKind::kProc, "/proc"));
  CHECK(IndexOf(plan, MountKind::kMinimalDev, "/dev") > 0);
  CHECK(IndexOf(plan, MountKind::kTmpfs, "/run") > 0);
  CHECK(LayerOf(plan, Layer::kHardlinkGuard).detail == "2 hard-linked file(s) read-only");
}

TEST_CASE("planner: Landlock rules follow the policy and the ABI", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/work/repo", "/home/u");
  policy.extra_writable = {"/work/cache"};
  auto plan = MustPlan(policy, Cmd({"true"}), Host());
  CHECK(plan.landlock.abi == 7);
  CHECK(plan.landlock.handled_fs == ll::FilesystemRightsForAbi(7));
  CHECK(plan.landlock.handled_net == 0);  // the net namespace isolates TCP
  CHECK(plan.landlock.scoped == (ll::kScopeSignal | ll::kScopeAbstractUnixSocket));
  CHECK(RuleAccess(plan, "/") == (ll::kExecute | ll::kReadFile | ll::kReadDir));
  const uint64_t repo = RuleAccess(plan, "/work/repo");
  CHECK((repo & ll::kWriteFile));
  CHECK((repo & ll::kRefer));
  CHECK_FALSE((repo & ll::kMakeBlock));
  CHECK(RuleAccess(plan, "/work/cache") == repo);
  CHECK((RuleAccess(plan, "/tmp") & ll::kMakeReg));
  CHECK(RuleAccess(plan, "/dev/null") == (ll::kReadFile | ll::kWriteFile | ll::kTruncate | ll::kIoctlDev));
  CHECK(RuleAccess(plan, "/etc") == 0);

  auto old = FullKernel();
  old.landlock_abi = 1;
  auto plan1 = MustPlan(policy, Cmd({"true"}), Host(old));
  CHECK(plan1.landlock.handled_fs == (ll::kMakeSym << 1) - 1);
  CHECK(plan1.landlock.scoped == 0);
  CHECK(ll::FilesystemRightsForAbi(0) == 0);
  CHECK((ll::FilesystemRightsForAbi(3) & ll::kTruncate));
  CHECK_FALSE((ll::FilesystemRightsForAbi(4) & ll::kIoctlDev));
}

TEST_CASE("planner: seccomp denies the escape syscalls with EPERM", "[sandbox][planner]") {
  auto plan = MustPlan(sandbox::DefaultPolicy("/r", ""), Cmd({"true"}), Host());
  REQUIRE(plan.seccomp.enabled);
  for (const char* name : {"ptrace", "mount", "umount2", "kexec_load", "kexec_file_load", "bpf",
                           "keyctl", "add_key", "request_key", "perf_event_open", "init_module",
                           "finit_module", "delete_module", "unshare", "setns", "pivot_root",
                           "chroot", "io_uring_setup"}) {
    INFO(name);
    auto it = std::find_if(plan.seccomp.deny.begin(), plan.seccomp.deny.end(),
                           [&](const sandbox::SeccompDeny& d) { return d.syscall == name; });
    REQUIRE(it != plan.seccomp.deny.end());
    CHECK(it->errno_value == EPERM);
  }
  CHECK(plan.seccomp.deny_namespace_clone);
  CHECK(plan.seccomp.clone3_errno == ENOSYS);
  CHECK(plan.seccomp.deny_tty_injection);
}

TEST_CASE("planner: rlimits and the scrubbed environment", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/r", "/home/u");
  policy.limits.cpu_seconds = 7;
  policy.limits.address_space_bytes = 0;  // unlimited
  policy.limits.max_processes = 99;
  auto cmd = Cmd({"env"});
  cmd.cwd = "/r/sub";
  auto plan = MustPlan(policy, cmd, Host());
  auto limit = [&](const std::string& name) {
    for (const auto& r : plan.rlimits) {
      if (r.resource == name) return r;
    }
    FAIL("no rlimit " << name);
    return sandbox::RlimitSetting{};
  };
  CHECK(limit("cpu").soft == 7);
  CHECK(limit("cpu").hard == 12);
  CHECK(limit("as").soft == UINT64_MAX);
  CHECK(limit("nproc").hard == 99);
  CHECK(limit("core").hard == 0);
  CHECK(limit("fsize").soft == policy.limits.max_file_bytes);

  CHECK(HasEnv(plan, "PATH=/usr/bin:/bin"));
  CHECK(HasEnv(plan, "HOME=/home/u"));
  CHECK(HasEnv(plan, "LC_ALL=C.UTF-8"));
  CHECK(HasEnv(plan, "TMPDIR=/tmp"));  // the private one, not the host's
  CHECK(HasEnv(plan, "PWD=/r/sub"));
  CHECK(HasEnv(plan, "LONGHAUL_SANDBOX=1"));
  for (const auto& e : plan.env) {
    CHECK(e.rfind("AWS_", 0) != 0);
    CHECK(e.rfind("LD_PRELOAD", 0) != 0);
  }
  CHECK(std::is_sorted(plan.env.begin(), plan.env.end()));
  CHECK(plan.cwd == "/r/sub");
}

TEST_CASE("planner: network policy", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/r", "");
  policy.allow_network = true;
  auto plan = MustPlan(policy, Cmd({"curl"}), Host());
  CHECK_FALSE(plan.namespaces.net);
  CHECK_FALSE(plan.loopback_up);
  CHECK(LayerOf(plan, Layer::kNetNamespace).state == LayerState::kNotNeeded);
  CHECK(plan.landlock.handled_net == 0);

  // No net namespace and no network allowed: Landlock denies TCP instead.
  auto k = FullKernel();
  k.net_namespace = false;
  policy.allow_network = false;
  policy.required_layers.erase(std::remove(policy.required_layers.begin(), policy.required_layers.end(),
                                           Layer::kNetNamespace),
                               policy.required_layers.end());
  auto plan2 = MustPlan(policy, Cmd({"curl"}), Host(k));
  CHECK(LayerOf(plan2, Layer::kLandlockNetwork).state == LayerState::kActive);
  CHECK(plan2.landlock.handled_net == (ll::kNetBindTcp | ll::kNetConnectTcp));
}

TEST_CASE("planner: a missing required layer is refused, never silently dropped", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/r", "");
  auto k = FullKernel();
  k.user_namespace = false;
  k.landlock_abi = 0;
  auto plan = sandbox::PlanLaunch(policy, Cmd({"true"}), Host(k));
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().code() == base::StatusCode::kFailedPrecondition);
  CHECK_THAT(plan.status().message(), Catch::Contains("user_ns") && Catch::Contains("landlock_fs") &&
                                          Catch::Contains("Refusing to run unconfined"));

  // When the policy allows it, the plan runs and reports what is missing.
  policy.required_layers.clear();
  auto degraded = MustPlan(policy, Cmd({"true"}), Host(k));
  CHECK(LayerOf(degraded, Layer::kUserNamespace).state == LayerState::kUnavailable);
  CHECK(LayerOf(degraded, Layer::kLandlockFilesystem).state == LayerState::kUnavailable);
  CHECK(degraded.landlock.abi == 0);
  CHECK_FALSE(degraded.namespaces.user);
  CHECK(degraded.namespaces.mount);  // as root the others still work

  auto no_mounts = FullKernel();
  no_mounts.mount_setattr = false;
  auto plan3 = MustPlan(policy, Cmd({"true"}), Host(no_mounts));
  CHECK(LayerOf(plan3, Layer::kMountNamespace).state == LayerState::kUnavailable);
  CHECK(plan3.mounts.empty());
  CHECK(RuleAccess(plan3, "/tmp") == 0);  // no private /tmp: the host's stays read-only
  CHECK_FALSE(HasEnv(plan3, "TMPDIR=/tmp"));
}

TEST_CASE("planner: the process cap for root needs the pid namespace", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/r", "");
  policy.limits.max_processes = 50;
  auto host = Host();
  host.root_identity = true;
  auto plan = MustPlan(policy, Cmd({"true"}), host);
  CHECK(plan.pid_max == 350);
  CHECK(plan.pid_max_required);
  CHECK(LayerOf(plan, Layer::kProcessLimit).detail == "pid_max 350 in the pid namespace");

  host.root_identity = false;
  auto user_plan = MustPlan(policy, Cmd({"true"}), host);
  CHECK_FALSE(user_plan.pid_max_required);  // RLIMIT_NPROC binds a non-root uid

  auto k = FullKernel();
  k.pid_namespace = false;
  host = Host(k);
  host.root_identity = true;
  policy.required_layers.clear();
  auto root_plan = MustPlan(policy, Cmd({"true"}), host);
  CHECK(LayerOf(root_plan, Layer::kProcessLimit).state == LayerState::kUnavailable);
  CHECK(root_plan.pid_max == 0);
  host.root_identity = false;
  CHECK(LayerOf(MustPlan(policy, Cmd({"true"}), host), Layer::kProcessLimit).state == LayerState::kActive);
}

TEST_CASE("planner: hard-link guard limits", "[sandbox][planner]") {
  auto policy = sandbox::DefaultPolicy("/r", "");
  policy.max_hardlink_guards = 1;
  auto host = Host();
  host.hardlinked_files = {"/r/a", "/r/b"};
  auto refused = sandbox::PlanLaunch(policy, Cmd({"true"}), host);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("hardlink_guard"));

  host.hardlinked_files = {"/r/a"};
  host.hardlink_scan_complete = false;
  CHECK_FALSE(sandbox::PlanLaunch(policy, Cmd({"true"}), host).ok());
}

TEST_CASE("planner: malformed input is rejected", "[sandbox][planner]") {
  auto host = Host();
  for (const char* repo : {"", "relative", "/", "/a/../b", "/a/./b", "/a//b", "/a/"}) {
    INFO(repo);
    auto plan = sandbox::PlanLaunch(sandbox::DefaultPolicy(repo, ""), Cmd({"true"}), host);
    CHECK(plan.status().code() == base::StatusCode::kInvalidArgument);
  }
  auto policy = sandbox::DefaultPolicy("/r", "");
  CHECK(sandbox::PlanLaunch(policy, Cmd({}), host).status().code() == base::StatusCode::kInvalidArgument);
  CHECK(sandbox::PlanLaunch(policy, Cmd({"echo", "\xff"}), host).status().code() ==
        base::StatusCode::kInvalidArgument);
  auto cmd = Cmd({"true"});
  cmd.cwd = "sub";
  CHECK(sandbox::PlanLaunch(policy, cmd, host).status().code() == base::StatusCode::kInvalidArgument);
  policy.limits.output_kill_bytes = 1;
  CHECK(sandbox::PlanLaunch(policy, Cmd({"true"}), host).status().code() == base::StatusCode::kInvalidArgument);
  for (double timeout : {0.0, -1.0, 1e300, std::nan("")}) {
    policy = sandbox::DefaultPolicy("/r", "");
    policy.limits.timeout_seconds = timeout;
    CHECK(sandbox::PlanLaunch(policy, Cmd({"true"}), host).status().code() == base::StatusCode::kInvalidArgument);
  }
  policy = sandbox::DefaultPolicy("/r", "");
  policy.deny_paths = {"relative/secret"};
  CHECK(sandbox::PlanLaunch(policy, Cmd({"true"}), host).status().code() == base::StatusCode::kInvalidArgument);
}

TEST_CASE("planner: the plan survives its JSON form", "[sandbox][planner]") {
  auto host = Host();
  host.hardlinked_files = {"/r/x"};
  auto plan = MustPlan(sandbox::DefaultPolicy("/r", "/home/u"), Cmd({"sh", "-c", "echo \"é\""}), host);
  std::string json = sandbox::internal::PlanToJson(plan);
  auto parsed = sandbox::internal::PlanFromJson(json);
  REQUIRE(parsed.ok());
  CHECK(sandbox::internal::PlanToJson(*parsed) == json);
  CHECK(parsed->argv == plan.argv);
  CHECK(parsed->mounts.size() == plan.mounts.size());
  CHECK(parsed->layers.size() == plan.layers.size());

  for (const char* bad : {"", "{", "[]", "{\"argv\":1}"}) {
    INFO(bad);
    CHECK(sandbox::internal::PlanFromJson(bad).status().code() == base::StatusCode::kInvalidArgument);
  }
  std::string unknown = json;
  unknown.replace(unknown.find("\"ro_root\""), 9, "\"rw_root\"");
  CHECK_THAT(sandbox::internal::PlanFromJson(unknown).status().message(), Catch::Contains("rw_root"));
}

TEST_CASE("output capture keeps head and tail within the cap", "[sandbox][capture]") {
  sandbox::internal::OutputCapture small(10);
  small.Append("hello", 5);
  CHECK(small.Finish().Text() == "hello");
  CHECK(small.Finish().dropped_bytes() == 0);

  sandbox::internal::OutputCapture c(10);  // head 5, tail 5
  std::string all;
  for (int i = 0; i < 100; ++i) {
    std::string chunk = std::to_string(i) + ",";
    all += chunk;
    c.Append(chunk.data(), chunk.size());
  }
  auto out = c.Finish();
  CHECK(out.head == all.substr(0, 5));
  CHECK(out.tail == all.substr(all.size() - 5));
  CHECK(out.total_bytes == all.size());
  CHECK(out.dropped_bytes() == all.size() - 10);
  CHECK(out.Text() == all.substr(0, 5) + "\n[... " + std::to_string(all.size() - 10) +
                          " bytes omitted ...]\n" + all.substr(all.size() - 5));

  sandbox::internal::OutputCapture big(6);
  std::string block(1000, 'a');
  block.back() = 'z';
  big.Append(block.data(), block.size());
  CHECK(big.Finish().head == "aaa");
  CHECK(big.Finish().tail == "aaz");

  sandbox::internal::OutputCapture exact(4);
  exact.Append("abcd", 4);
  CHECK(exact.Finish().Text() == "abcd");
}
