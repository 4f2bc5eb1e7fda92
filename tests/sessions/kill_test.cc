// The kill test: a child process checkpoints in a loop on the real disk
// (real fsync, real SQLite) and is killed with SIGKILL at a random moment,
// 50 times over. After each kill the last committed checkpoint must
// resume, its state must equal a fresh evaluation of its history, and the
// session must take a new writer at once (the lock died with the child).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "tests/sessions/session_fixture.h"

using namespace sessions_testing;

namespace {

// The child: resume the session and keep appending and checkpointing.
// Writes one byte to `ready_fd` once resumed, so the parent's random
// delay lands among checkpoints rather than during start-up.
[[noreturn]] void CheckpointForever(const std::string& dir, int round, int ready_fd) {
  sessions::StoreOptions o;
  o.data_dir = dir;
  auto store = sessions::Store::Open(o);
  if (!store.ok()) _exit(3);
  auto writer = (*store)->OpenWriter("k");
  if (!writer.ok()) _exit(4);
  FakeKv kv;
  auto r = (*writer)->RestoreInto(&kv);
  if (!r.ok()) _exit(5);
  if (::write(ready_fd, "r", 1) != 1) _exit(7);
  std::vector<int32_t> history = r->history;
  for (int step = 0;; ++step) {
    auto more = Tokens(round * 100000 + step * 37, 29);
    kv.Eval(more);
    history.insert(history.end(), more.begin(), more.end());
    if (!(*writer)->CheckpointFrom(kv, history, {}).ok()) _exit(6);
  }
}

}  // namespace

TEST_CASE("SIGKILL at random moments never loses the last checkpoint", "[sessions][kill]") {
  StoreFixture f;
  {
    auto store = f.Open();
    FakeKv kv;
    auto w = Unwrap(store->CreateFor(kv, {.name = "k"}));
  }
  std::mt19937 rng(12345);
  int64_t last_n_past = 0;
  int rounds_with_progress = 0;
  for (int round = 0; round < 50; ++round) {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) CheckpointForever(f.dir, round, ready[1]);
    char byte = 0;
    const bool started = ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    ::close(ready[1]);
    ::usleep(std::uniform_int_distribution<int>(0, 150'000)(rng));
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("round " << round << " child status " << status);
    REQUIRE(started);
    REQUIRE(WIFSIGNALED(status));  // it was still checkpointing, not failed

    auto store = f.Open();
    auto w = Unwrap(store->OpenWriter("k"));  // the dead child's lock is gone
    FakeKv resumed;
    auto r = Unwrap(w->RestoreInto(&resumed));
    FakeKv fresh;
    fresh.Eval(r.history);
    CHECK(resumed.Digest() == fresh.Digest());
    CHECK(static_cast<int64_t>(r.history.size()) >= last_n_past);  // committed stays committed
    if (static_cast<int64_t>(r.history.size()) > last_n_past) ++rounds_with_progress;
    last_n_past = static_cast<int64_t>(r.history.size());
  }
  // Most children committed something before dying, so kills landed
  // among checkpoints rather than all before the first.
  CHECK(rounds_with_progress >= 10);
  auto store = f.Open();
  auto gc = Unwrap(store->Gc());
  CHECK(gc.files_skipped == 0);
  FakeKv after_gc;
  CHECK(Unwrap(store->LoadInto("k", &after_gc)).history.size() == static_cast<size_t>(last_n_past));
}
