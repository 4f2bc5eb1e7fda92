#include "tests/sandbox/sandbox_testing.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "tests/testing.h"

extern char** environ;

namespace sandbox_testing {
namespace {

namespace fs = std::filesystem;

// Scratch roots created under $HOME, removed at exit (MakeTempDir's own
// cleanup covers those under the temp dir).
struct HomeScratchDirs {
  std::mutex mu;
  std::vector<std::string> paths;
  ~HomeScratchDirs() {
    if (std::getenv("LONGHAUL_KEEP_TEMP")) return;
    std::error_code ec;
    for (const std::string& p : paths) {
      fs::remove_all(p, ec);
      fs::remove(fs::path(p).parent_path(), ec);  // only if now empty
    }
  }
};

HomeScratchDirs& HomeDirs() {
  static HomeScratchDirs dirs;
  return dirs;
}

std::optional<std::string> MakeHomeScratch() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return std::nullopt;
  std::error_code ec;
  fs::path base = fs::path(home) / ".cache" / "longhaul-tests";
  fs::create_directories(base, ec);
  if (ec) return std::nullopt;
  std::string tmpl = (base / "sandbox.XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return std::nullopt;
  HomeScratchDirs& dirs = HomeDirs();
  std::lock_guard<std::mutex> lock(dirs.mu);
  dirs.paths.emplace_back(buf.data());
  return std::string(buf.data());
}

std::string Canonical(const std::string& path) {
  char real[PATH_MAX];
  return ::realpath(path.c_str(), real) != nullptr ? std::string(real) : path;
}

}  // namespace

Scratch MakeScratch(bool prefer_home) {
  Scratch s;
  std::optional<std::string> root;
  if (prefer_home) root = MakeHomeScratch();
  s.root = Canonical(root ? *root : testing::MakeTempDir("longhaul-sandbox"));
  s.outside_visible = s.root.rfind("/tmp/", 0) != 0;
  s.repo = s.root + "/repo";
  s.outside = s.root + "/outside";
  s.home = s.root + "/home";
  for (const std::string& dir : {s.repo, s.outside, s.home}) fs::create_directories(dir);
  fs::copy_file(SANDBOX_PROBE, s.repo + "/probe");
  fs::permissions(s.repo + "/probe", fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
  WriteFile(s.repo + "/README", "scratch repository\n");
  s.has_git = HostHasProgram("git") &&
              HostShell("cd '" + s.repo + "' && git init -q && git add README && " +
                        "git -c user.name=t -c user.email=t@example.com commit -q -m init") == 0;
  return s;
}

sandbox::Policy TestPolicy(const Scratch& scratch) {
  sandbox::Policy policy = sandbox::DefaultPolicy(scratch.repo, scratch.home);
  sandbox::Limits& l = policy.limits;
  l.timeout_seconds = 30;
  l.cpu_seconds = 30;
  l.address_space_bytes = 4 * sandbox::kGiB;
  l.max_processes = 256;
  l.output_cap_bytes = 64 * 1024;
  l.output_kill_bytes = 64 * sandbox::kMiB;
  return policy;
}

base::Result<sandbox::ExecResult> Run(const sandbox::Policy& policy, std::vector<std::string> argv,
                                      std::optional<sandbox::KernelFeatures> kernel) {
  sandbox::CommandSpec command;
  command.argv = std::move(argv);
  for (char** e = environ; *e != nullptr; ++e) command.inherited_env.emplace_back(*e);
  sandbox::ExecOptions options;
  options.helper_binary = testing::LonghaulBinary();
  options.kernel_override = kernel;
  return sandbox::RunSandboxed(policy, command, options);
}

std::string ProbeLine(const base::Result<sandbox::ExecResult>& result) {
  if (!result.ok()) return "run failed: " + result.status().ToString();
  std::string text = result->stdout_output.Text();
  return text.substr(0, text.find('\n'));
}

std::string MissingLayers() {
  const sandbox::KernelFeatures& k = sandbox::ProbeKernelFeatures();
  std::string missing;
  if (!k.user_namespace) missing += " user_ns";
  if (!k.mount_namespace || !k.mount_setattr) missing += " mount_ns";
  if (!k.pid_namespace) missing += " pid_ns";
  if (!k.net_namespace) missing += " net_ns";
  if (!k.ipc_namespace) missing += " ipc_ns";
  if (!k.uts_namespace) missing += " uts_ns";
  if (k.landlock_abi < 1) missing += " landlock_fs";
  if (!k.seccomp_filter) missing += " seccomp";
  return missing;
}

bool HostHasProgram(const std::string& name) {
  return HostShell("command -v '" + name + "' >/dev/null 2>&1") == 0;
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

int HostShell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int CountProcessesNamed(const std::string& name) {
  int count = 0;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return -1;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmdline = ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
    if (cmdline.compare(0, name.size() + 1, name + '\0') == 0) ++count;
  }
  ::closedir(dir);
  return count;
}

uint64_t PeakRssBytes() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

HostListener::HostListener(bool udp) : udp_(udp) {
  fd_ = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (!udp) ::listen(fd_, 8);
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

HostListener::~HostListener() { ::close(fd_); }

bool HostListener::Reached() const {
  if (udp_) {
    char buf[512];
    return ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT) >= 0;
  }
  int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return false;
  ::close(conn);
  return true;
}

AbstractListener::AbstractListener(const std::string& name) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  ::bind(fd_, reinterpret_cast<sockaddr*>(&addr),
         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size()));
  ::listen(fd_, 8);
}

AbstractListener::~AbstractListener() { ::close(fd_); }

bool AbstractListener::Reached() const {
  int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return false;
  ::close(conn);
  return true;
}

HostSleeper::HostSleeper() {
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

HostSleeper::~HostSleeper() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

bool HostSleeper::Alive() const {
  int status = 0;
  return pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == 0;
}

}  // namespace sandbox_testing
