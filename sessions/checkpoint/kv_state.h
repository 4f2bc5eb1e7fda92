// The seam between the store and the engine: the parts of
// engine::Context a checkpoint reads and a resume writes. The store's
// logic runs against this interface, so its crash and fault tests can use
// a small deterministic fake; ContextKvState adapts the real Context.
//
// Threading: as engine::Context, one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/engine.h"

namespace sessions::internal {

class KvState {
 public:
  virtual ~KvState() = default;
  virtual std::string model_fingerprint() const = 0;
  virtual std::string policy_text() const = 0;
  virtual int n_layers() const = 0;
  virtual int64_t block_tokens() const = 0;
  virtual int64_t n_past() const = 0;
  virtual int64_t closed_blocks(int layer) const = 0;
  virtual base::Result<engine::KvBlock> ExportBlock(int layer, int64_t index) const = 0;
  virtual base::Result<std::string> ExportLiveState() const = 0;
  virtual base::Status Restore(std::string_view live_state, const engine::KvBlockFetcher& fetch) = 0;
  // engine::Context::kv_mark and kv_unchanged_since: which blocks still
  // hold what they held when a checkpoint was taken.
  virtual engine::KvMark kv_mark() const = 0;
  virtual int64_t unchanged_since(const engine::KvMark& mark) const = 0;
};

// Adapts a Context. Restore needs a mutable one: pass nullptr for a
// read-only view (Restore then fails with an Internal error).
std::unique_ptr<KvState> ContextKvState(const engine::Context* ctx, engine::Context* mutable_ctx);

}  // namespace sessions::internal
