#include <nlohmann/json.hpp>

#include "sessions/checkpoint/kv_state.h"
#include "sessions/checkpoint/writer_state.h"
#include "sessions/core/store_impl.h"
#include "sessions/store.h"

namespace sessions {

SessionWriter::SessionWriter(Store* store, SessionInfo info, std::unique_ptr<base::FileLock> lock)
    : store_(store),
      info_(std::move(info)),
      lock_(std::move(lock)),
      state_(std::make_unique<internal::WriterState>(&store->impl_->deps, info_)) {}

SessionWriter::~SessionWriter() = default;

base::Result<RestoredSession> SessionWriter::Restore(engine::Context* ctx) {
  auto kv = internal::ContextKvState(ctx, ctx);
  return RestoreInto(kv.get());
}

base::Result<CheckpointStats> SessionWriter::Checkpoint(const engine::Context& ctx, std::span<const int32_t> history,
                                                        const SamplerState& sampler) {
  auto kv = internal::ContextKvState(&ctx, nullptr);
  return CheckpointFrom(*kv, history, sampler);
}

base::Result<RestoredSession> SessionWriter::RestoreInto(internal::KvState* kv) { return state_->Restore(kv); }

base::Result<RestoredSession> SessionWriter::RestoreAt(int64_t checkpoint_id, engine::Context* ctx) {
  auto kv = internal::ContextKvState(ctx, ctx);
  return RestoreAtInto(checkpoint_id, kv.get());
}

base::Result<RestoredSession> SessionWriter::RestoreAtInto(int64_t checkpoint_id, internal::KvState* kv) {
  SessionInfo self = info_;
  self.head_checkpoint = state_->head();
  RETURN_IF_ERROR(store_->CheckReaches(self, checkpoint_id));
  return state_->RestoreAt(checkpoint_id, kv);
}

base::Result<CheckpointStats> SessionWriter::CheckpointFrom(const internal::KvState& kv,
                                                            std::span<const int32_t> history,
                                                            const SamplerState& sampler) {
  ASSIGN_OR_RETURN(CheckpointStats stats, state_->Checkpoint(kv, history, sampler));
  info_.head_checkpoint = stats.checkpoint_id;
  info_.n_tokens = stats.n_past;
  return stats;
}

base::Status SessionWriter::AppendEvent(std::string_view kind, std::string_view json_payload) {
  if (kind.empty()) return base::InvalidArgument("an event needs a kind");
  if (!nlohmann::json::accept(json_payload)) {
    return base::InvalidArgument("event payload of kind '" + std::string(kind) + "' is not valid JSON");
  }
  internal::StoreDeps& deps = store_->impl_->deps;
  // MAX(seq) + 1 inside the statement: one transaction per event, and the
  // writer lock means no other process appends to this session.
  ASSIGN_OR_RETURN(
      db::Stmt st,
      deps.db->Prepare("INSERT INTO events(session_id, seq, kind, payload, created_us)"
                       " SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4 FROM events WHERE session_id = ?1"));
  st.Bind(1, info_.id).Bind(2, kind).Bind(3, json_payload).Bind(4, deps.clock->NowMicros());
  base::Status s = st.Run();
  if (s.code() == base::StatusCode::kFailedPrecondition) {
    return base::NotFound("session " + info_.id + " was removed");
  }
  return s;
}

}  // namespace sessions
