/* sandbox_probe: one escape attempt per invocation, run inside the sandbox.
 *
 * Prints exactly one line "<op>: OK ..." or "<op>: <ERRNO_NAME> (<strerror>)"
 * so tests can assert the precise failure, and exits 0 on success, 1 on a
 * failed attempt, 2 on bad usage. Plain C without sanitizers: it must start
 * under RLIMIT_AS and seccomp.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char* op, int err) {
  printf("%s: %s (%s)\n", op, strerrorname_np(err) ? strerrorname_np(err) : "E?", strerror(err));
  return 1;
}

static int ok(const char* op, const char* detail) {
  printf("%s: OK%s%s\n", op, detail[0] ? " " : "", detail);
  return 0;
}

static int do_write(const char* path, int flags) {
  int fd = open(path, O_WRONLY | flags, 0644);
  if (fd < 0) return fail("write", errno);
  if (write(fd, "escaped\n", 8) != 8) return fail("write", errno);
  close(fd);
  return ok("write", path);
}

static int do_read(const char* path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail("read", errno);
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 0) return fail("read", errno);
  close(fd);
  char detail[64];
  snprintf(detail, sizeof(detail), "%zd bytes", n);
  return ok("read", detail);
}

static int make_inet(const char* host, const char* port, int type, struct sockaddr_in* addr) {
  memset(addr, 0, sizeof(*addr));
  addr->sin_family = AF_INET;
  addr->sin_port = htons((unsigned short)atoi(port));
  inet_pton(AF_INET, host, &addr->sin_addr);
  return socket(AF_INET, type, 0);
}

static int do_connect(const char* host, const char* port) {
  struct sockaddr_in addr;
  int fd = make_inet(host, port, SOCK_STREAM, &addr);
  if (fd < 0) return fail("connect", errno);
  if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) return fail("connect", errno);
  return ok("connect", "");
}

/* A DNS query for example.com (type A) to host:port over UDP. */
static int do_dns(const char* host, const char* port) {
  static const unsigned char query[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x',
                                        'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
  struct sockaddr_in addr;
  int fd = make_inet(host, port, SOCK_DGRAM, &addr);
  if (fd < 0) return fail("dns", errno);
  if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) return fail("dns", errno);
  if (send(fd, query, sizeof(query), 0) < 0) return fail("dns", errno);
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 2000) == 0) return fail("dns", ETIMEDOUT);
  unsigned char reply[512];
  if (recv(fd, reply, sizeof(reply), 0) < 0) return fail("dns", errno);
  return ok("dns", "answered");
}

static int do_resolve(const char* name) {
  struct addrinfo* res = NULL;
  int rc = getaddrinfo(name, NULL, NULL, &res);
  if (rc != 0) {
    printf("resolve: %s (%s)\n", rc == EAI_AGAIN ? "EAI_AGAIN" : rc == EAI_NONAME ? "EAI_NONAME" : "EAI_OTHER",
           gai_strerror(rc));
    return 1;
  }
  freeaddrinfo(res);
  return ok("resolve", name);
}

static int do_abstract(const char* name) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  size_t len = strlen(name);
  memcpy(addr.sun_path + 1, name, len);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return fail("abstract", errno);
  if (connect(fd, (struct sockaddr*)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) != 0) {
    return fail("abstract", errno);
  }
  return ok("abstract", "");
}

static int do_forkbomb(void) {
  int forks = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid < 0) {
      int err = errno;
      printf("forkbomb: %s (%s) after %d forks\n", strerrorname_np(err), strerror(err), forks);
      /* The paused children die with the sandbox's pid namespace. */
      return 1;
    }
    if (pid == 0) {
      pause();
      _exit(0);
    }
    if (++forks >= 100000) return ok("forkbomb", "unlimited");
  }
}

static int do_alloc(long mib) {
  char* p = malloc((size_t)mib << 20);
  if (p == NULL) return fail("alloc", errno);
  memset(p, 1, (size_t)mib << 20);
  return ok("alloc", "");
}

static int do_flood(long long bytes) {
  static char buf[1 << 16];
  memset(buf, 'x', sizeof(buf));
  while (bytes > 0) {
    ssize_t n = write(1, buf, bytes < (long long)sizeof(buf) ? (size_t)bytes : sizeof(buf));
    if (n < 0) return fail("flood", errno);
    bytes -= n;
  }
  return 0;
}

/* How many processes this process can see. */
static int do_count_procs(void) {
  int count = 0;
  DIR* dir = opendir("/proc");
  if (dir == NULL) return fail("procs", errno);
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') ++count;
  }
  closedir(dir);
  printf("procs: %d\n", count);
  return 0;
}

static int syscall_result(const char* op, long rc) {
  if (rc < 0) return fail(op, errno);
  return ok(op, "");
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* op = argv[1];
  const char* a = argc > 2 ? argv[2] : "";
  const char* b = argc > 3 ? argv[3] : "";
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!strcmp(op, "write")) return do_write(a, O_CREAT | O_TRUNC);
  if (!strcmp(op, "append")) return do_write(a, O_APPEND);
  if (!strcmp(op, "read")) return do_read(a);
  if (!strcmp(op, "mkdir")) return syscall_result("mkdir", mkdir(a, 0755));
  if (!strcmp(op, "link")) return syscall_result("link", link(a, b));
  if (!strcmp(op, "connect")) return do_connect(a, b);
  if (!strcmp(op, "dns")) return do_dns(a, b);
  if (!strcmp(op, "resolve")) return do_resolve(a);
  if (!strcmp(op, "abstract")) return do_abstract(a);
  if (!strcmp(op, "ptrace-parent")) return syscall_result("ptrace", ptrace(PTRACE_ATTACH, getppid(), 0, 0));
  if (!strcmp(op, "ptrace-traceme")) return syscall_result("ptrace", ptrace(PTRACE_TRACEME, 0, 0, 0));
  if (!strcmp(op, "kill")) return syscall_result("kill", kill(atoi(a), atoi(b)));
  if (!strcmp(op, "mount")) return syscall_result("mount", mount("none", a, "tmpfs", 0, NULL));
  if (!strcmp(op, "unshare")) return syscall_result("unshare", unshare(CLONE_NEWUSER | CLONE_NEWNS));
  if (!strcmp(op, "clone-newuser")) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return syscall_result("clone", pid);
  }
  if (!strcmp(op, "bpf")) return syscall_result("bpf", syscall(SYS_bpf, 0, NULL, 0));
  if (!strcmp(op, "io_uring")) return syscall_result("io_uring", syscall(SYS_io_uring_setup, 1, NULL));
  if (!strcmp(op, "keyctl")) return syscall_result("keyctl", syscall(SYS_add_key, "user", "k", "v", 1, -4));
  if (!strcmp(op, "kexec")) return syscall_result("kexec", syscall(SYS_kexec_load, 0, 0, NULL, 0));
  if (!strcmp(op, "forkbomb")) return do_forkbomb();
  if (!strcmp(op, "alloc")) return do_alloc(atol(a));
  if (!strcmp(op, "flood")) return do_flood(atoll(a));
  if (!strcmp(op, "procs")) return do_count_procs();
  return 2;
}
