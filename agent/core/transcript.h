// The text the KV cache holds, token for token.
//
// A Transcript pairs the context's token history with the rendered text
// those tokens came from. Each step renders the whole conversation and
// Sync() prefills only what lies past the common prefix; when the render
// disagrees with what was consumed (a template that re-renders an earlier
// turn differently), the context is truncated back to the last token
// boundary inside the common prefix and re-prefilled from there, so the
// cache always holds exactly the rendered text. Generated tokens append
// their pieces (special tokens spelled out) as they are sampled.
//
// Threading: one thread (the agent's) uses a Transcript.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"

namespace agent {

struct SyncStats {
  int64_t reused_tokens = 0;     // kept from the cache
  int64_t truncated_tokens = 0;  // dropped because the render changed under them
  int64_t prefilled_tokens = 0;
  double seconds = 0;
};

class Transcript {
 public:
  explicit Transcript(engine::Context* ctx) : ctx_(ctx) {}

  // Adopts a restored context: its `history` holds `text`, of which the
  // first `prompt_bytes` were prefilled as `prompt_tokens` tokens (a token
  // boundary we can safely truncate to).
  void Adopt(std::vector<int32_t> history, std::string text, std::pair<int64_t, size_t> boundary);
  void Clear();

  // Makes the context hold `rendered`: keeps the common prefix, prefills
  // the rest in chunks, reporting (done, total) after each. Stops early,
  // rolling the partial prefill back, when `interrupt` becomes true
  // (Cancelled).
  base::Result<SyncStats> Sync(std::string_view rendered, const std::function<void(int64_t, int64_t)>& progress,
                               const std::atomic<bool>* interrupt);

  // A sampled token and its piece, already evaluated by the caller.
  void AppendGenerated(int32_t token, std::string_view piece);
  // Evaluates and appends forced tokens (e.g. an opening tool-call tag).
  base::Status AppendForced(std::string_view text);

  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::string& text() const { return text_; }
  engine::Context* context() const { return ctx_; }

 private:
  // Token counts at which the text length is known exactly, ascending.
  struct Anchor {
    int64_t tokens;
    size_t bytes;
  };
  void TruncateToBytes(size_t keep_bytes, SyncStats* stats);

  engine::Context* ctx_;
  std::vector<int32_t> tokens_;
  std::string text_;
  std::vector<Anchor> anchors_{{0, 0}};
};

}  // namespace agent
