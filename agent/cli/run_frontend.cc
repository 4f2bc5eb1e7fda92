#include "agent/cli/run_frontend.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <iostream>

#include "agent/cli/line_editor.h"
#include "sessions/store.h"

namespace cli {
namespace {

std::atomic<bool> g_sigint{false};
extern "C" void OnSigint(int) { g_sigint = true; }

// SIGINT interrupts the turn while one runs; at the prompt it ends the REPL.
class SigintScope {
 public:
  SigintScope() {
    struct sigaction sa {};
    sa.sa_handler = OnSigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~SigintScope() { sigaction(SIGINT, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

std::string Mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / 1048576.0);
  return buf;
}

class Printer {
 public:
  explicit Printer(const FrontendOptions& o) : o_(o) {}

  void Print(const agent::Event& e) {
    using K = agent::Event::Kind;
    if (o_.json) {
      nlohmann::json line = e.data.is_object() ? e.data : nlohmann::json::object();
      line["type"] = agent::EventKindName(e.kind);
      std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
      return;
    }
    const nlohmann::json& d = e.data;
    switch (e.kind) {
      case K::kSessionStarted: {
        std::string line = "session " + d.value("session_id", "");
        if (!d.value("name", "").empty()) line += " (" + d.value("name", "") + ")";
        if (d.value("resumed", false)) {
          char buf[160];
          std::snprintf(buf, sizeof buf, ": resumed %lld tokens in %.1f ms, no prefill",
                        d.value("restored_tokens", 0LL), d.value("restore_ms", 0.0));
          line += buf;
          if (d.contains("reprefill_ms")) {
            std::snprintf(buf, sizeof buf, " (re-prefilling them takes %.1f ms: %.0fx slower)",
                          d.value("reprefill_ms", 0.0),
                          d.value("reprefill_ms", 0.0) / std::max(d.value("restore_ms", 0.0), 1e-3));
            line += buf;
          }
        } else {
          line += ": new, in " + d.value("repo", "");
        }
        Dim(line + "\n");
        break;
      }
      case K::kPrefillProgress:
        if (o_.progress) {
          const auto done = d.value("done", 0LL), total = std::max(d.value("total", 1LL), 1LL);
          const int width = 30, filled = static_cast<int>(width * done / total);
          std::fprintf(stderr, "\r[%s%s] %lld/%lld prefill%s", std::string(filled, '#').c_str(),
                       std::string(width - filled, ' ').c_str(), done, total, done == total ? "\r\033[K" : "");
        }
        break;
      case K::kToken:
        std::cout << d.value("text", "") << std::flush;
        ++tokens_;
        break;
      case K::kToolCall:
        Color("\n-> " + d.value("name", "(malformed)") + " " + d["arguments"].dump() + "\n", "36");
        break;
      case K::kApprovalNeeded:
        Color("approve " + d.value("name", "") + " " + d["arguments"].dump() + "? [y/N] ", "33");
        break;
      case K::kToolResult: {
        std::string text = d.value("text", "");
        if (text.size() > 600) text = text.substr(0, 600) + "\n...";
        Color(text + "\n", d.value("is_error", false) ? "31" : "32");
        break;
      }
      case K::kCheckpoint:
        last_checkpoint_ = d;
        break;
      case K::kForked:
        Dim("forked as session " + d.value("session_id", "") + " (longhaul resume " + d.value("session_id", "") +
            ")\n");
        break;
      case K::kUndone:
        Dim("undone: back to " + std::to_string(d.value("n_past", 0LL)) + " tokens\n");
        break;
      case K::kError: Color("error: " + d.value("message", "") + "\n", "31"); break;
      case K::kTurnDone: Dim("\n" + StatusLine() + " · " + d.value("reason", "") + "\n"); break;
      case K::kClosed: break;
    }
  }

  std::string StatusLine() const {
    const nlohmann::json& c = last_checkpoint_;
    if (c.is_null()) return "[no checkpoint yet]";
    return "[" + std::to_string(c.value("n_past", 0LL)) + " tokens · KV hot " +
           Mib(c.value("hot_kv_bytes", 0.0)) + " · written " + Mib(c.value("disk_bytes_written", 0.0)) +
           " · " + std::to_string(static_cast<int>(c.value("tok_per_s", 0.0))) + " tok/s · checkpoint " +
           std::to_string(c.value("checkpoint_id", 0LL)) + "]";
  }

 private:
  void Color(const std::string& text, const char* code) const {
    if (o_.color) std::cout << "\033[" << code << "m" << text << "\033[0m" << std::flush;
    else std::cout << text << std::flush;
  }
  void Dim(const std::string& text) const { Color(text, "2"); }

  FrontendOptions o_;
  nlohmann::json last_checkpoint_;
  int64_t tokens_ = 0;
};

// Pumps events until the turn ends; returns its reason.
std::string PumpTurn(agent::Agent* agent, Printer* printer, bool interactive) {
  SigintScope sigint;
  g_sigint = false;
  for (;;) {
    if (g_sigint.exchange(false)) agent->Interrupt();
    auto e = agent->NextEvent(std::chrono::milliseconds(100));
    if (!e) continue;
    printer->Print(*e);
    if (e->kind == agent::Event::Kind::kApprovalNeeded) {
      std::string answer;
      const bool yes = interactive && std::getline(std::cin, answer) && (answer == "y" || answer == "yes");
      agent::Op op = agent::Op::Of(agent::Op::Kind::kApprove);
      op.approved = yes;
      agent->Submit(op);
    }
    if (e->kind == agent::Event::Kind::kTurnDone) return e->data.value("reason", "error");
    if (e->kind == agent::Event::Kind::kClosed) return "error";
  }
}

int ExitCodeFor(const std::string& reason) {
  if (reason == "done") return 0;
  if (reason == "max_steps") return 3;
  if (reason == "interrupted") return 130;
  return 1;
}

// Events between turns (fork, undo, errors) until nothing more arrives.
void Drain(agent::Agent* agent, Printer* printer, std::chrono::milliseconds wait) {
  while (auto e = agent->NextEvent(wait)) printer->Print(*e);
}

void Help() {
  std::cout << "/help      this list\n/status    session tokens, KV bytes, last checkpoint\n"
               "/sessions  sessions in the store\n/fork      fork this session at its last checkpoint\n"
               "/undo      undo the last turn (conversation, KV cache and files)\n"
               "/rewind N  go back to before your N-th message (1 = the first); later turns are dropped\n"
               "/quit      leave (the session is saved after every step)\n"
               "Ctrl-C interrupts a running turn.\n";
}

void ListSessions(const FrontendOptions& o) {
  auto store = sessions::Store::Open({.data_dir = o.data_dir});
  if (!store.ok()) return void(std::cout << "error: " << store.status().ToString() << "\n");
  auto list = (*store)->List();
  if (!list.ok()) return void(std::cout << "error: " << list.status().ToString() << "\n");
  for (const auto& s : *list) {
    std::cout << s.id << "  " << (s.name.empty() ? "-" : s.name) << "  " << s.n_tokens << " tokens  " << s.repo
              << "\n";
  }
}

// "/rewind N": N counts the user's messages from 1.
void Rewind(agent::Agent* agent, const std::string& line) {
  const std::string arg = line.size() > 8 ? line.substr(8) : "";
  int64_t turn = 0;
  const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), turn);
  if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || turn < 1) {
    std::cout << "usage: /rewind N, where N >= 1 is the message to go back before (/undo is the last one)\n";
    return;
  }
  agent->Submit(agent::Op::Rewind(turn));
}

int Repl(agent::Agent* agent, Printer* printer, const FrontendOptions& o) {
  int code = 0;
  std::cout << "longhaul: /help for commands, /quit to leave\n";
  LineEditor editor(o.data_dir.empty() ? "" : o.data_dir + "/repl_history");
  for (;;) {
    Drain(agent, printer, std::chrono::milliseconds(50));
    const std::optional<std::string> read = editor.ReadLine("> ");
    if (!read) break;
    const std::string& line = *read;
    if (line.empty()) continue;
    if (line == "/quit" || line == "/exit") break;
    if (line == "/help") Help();
    else if (line == "/status") std::cout << "session " << agent->session_id() << " " << printer->StatusLine() << "\n";
    else if (line == "/sessions") ListSessions(o);
    else if (line == "/fork") agent->Submit(agent::Op::Of(agent::Op::Kind::kFork));
    else if (line == "/undo") agent->Submit(agent::Op::Of(agent::Op::Kind::kUndo));
    else if (line == "/rewind" || line.starts_with("/rewind ")) Rewind(agent, line);
    else if (line[0] == '/') std::cout << "unknown command " << line << " (/help)\n";
    else {
      agent->Submit(agent::Op::User(line));
      code = ExitCodeFor(PumpTurn(agent, printer, /*interactive=*/true));
    }
  }
  (void)code;  // interactive: the turns were seen; leaving is a success
  return 0;
}

}  // namespace

int RunFrontend(agent::Agent* agent, const std::string& prompt, const FrontendOptions& options) {
  Printer printer(options);
  Drain(agent, &printer, std::chrono::milliseconds(0));
  int code = 0;
  if (!prompt.empty()) {
    agent->Submit(agent::Op::User(prompt));
    code = ExitCodeFor(PumpTurn(agent, &printer, false));
  } else if (isatty(STDIN_FILENO) && !options.json) {
    code = Repl(agent, &printer, options);
  } else {
    std::string line;
    while (code == 0 && std::getline(std::cin, line)) {
      if (line.empty()) continue;
      agent->Submit(agent::Op::User(line));
      code = ExitCodeFor(PumpTurn(agent, &printer, false));
    }
  }
  agent->Submit(agent::Op::Of(agent::Op::Kind::kQuit));
  while (auto e = agent->NextEvent(std::chrono::seconds(30))) printer.Print(*e);
  return code;
}

}  // namespace cli
