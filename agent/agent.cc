// The queue pair and the owning thread.
#include "agent/agent.h"

#include "agent/core/agent_impl.h"

namespace agent {

const char* EventKindName(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kSessionStarted: return "session_started";
    case Event::Kind::kPrefillProgress: return "prefill_progress";
    case Event::Kind::kToken: return "token";
    case Event::Kind::kToolCall: return "tool_call";
    case Event::Kind::kApprovalNeeded: return "approval_needed";
    case Event::Kind::kToolResult: return "tool_result";
    case Event::Kind::kCheckpoint: return "checkpoint";
    case Event::Kind::kForked: return "forked";
    case Event::Kind::kUndone: return "undone";
    case Event::Kind::kError: return "error";
    case Event::Kind::kTurnDone: return "turn_done";
    case Event::Kind::kClosed: return "closed";
  }
  return "unknown";
}

void Agent::Impl::Emit(Event::Kind kind, nlohmann::json data) {
  {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back({kind, std::move(data)});
    if (kind == Event::Kind::kClosed) closed = true;
  }
  events_cv.notify_all();
}

Op Agent::Impl::WaitOp() {
  std::unique_lock<std::mutex> lock(mu);
  ops_cv.wait(lock, [&] { return !ops.empty(); });
  Op op = std::move(ops.front());
  ops.pop_front();
  return op;
}

void Agent::Impl::Loop() {
  for (;;) {
    Op op = WaitOp();
    if (op.kind == Op::Kind::kQuit) break;
    switch (op.kind) {
      case Op::Kind::kUserMessage: RunTurn(op.text); break;
      case Op::Kind::kFork: Fork(); break;
      case Op::Kind::kUndo: Undo(0); break;
      case Op::Kind::kRewind: Undo(op.turn); break;
      default: break;  // an interrupt or an approval with nothing running
    }
  }
  writer.reset();  // releases the session lock before the front end hears kClosed
  Emit(Event::Kind::kClosed, nlohmann::json::object());
}

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Agent::~Agent() {
  impl_->interrupt = true;
  Submit(Op::Of(Op::Kind::kQuit));
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Agent::Submit(Op op) {
  if (op.kind == Op::Kind::kInterrupt || op.kind == Op::Kind::kQuit) impl_->interrupt = true;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->ops.push_back(std::move(op));
  }
  impl_->ops_cv.notify_all();
}

void Agent::Interrupt() { Submit(Op::Of(Op::Kind::kInterrupt)); }

std::optional<Event> Agent::NextEvent(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  if (impl_->delivered_closed) return std::nullopt;
  if (!impl_->events_cv.wait_for(lock, timeout, [&] { return !impl_->events.empty(); })) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  if (e.kind == Event::Kind::kClosed) impl_->delivered_closed = true;
  return e;
}

const std::string& Agent::session_id() const { return impl_->session_id; }

base::Result<std::unique_ptr<Agent>> Agent::Start(AgentOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = std::move(options);
  RETURN_IF_ERROR(impl->Open());
  Impl* raw = impl.get();
  std::unique_ptr<Agent> agent(new Agent(std::move(impl)));
  raw->thread = std::thread([raw] { raw->Loop(); });
  return agent;
}

}  // namespace agent
