#include "agent/core/transcript.h"

#include <algorithm>
#include <chrono>

namespace agent {
namespace {

constexpr int64_t kPrefillChunk = 512;  // tokens between progress reports

size_t CommonPrefix(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

void Transcript::Adopt(std::vector<int32_t> history, std::string text, std::pair<int64_t, size_t> boundary) {
  tokens_ = std::move(history);
  text_ = std::move(text);
  anchors_ = {{0, 0}};
  if (boundary.first > 0 && boundary.first < static_cast<int64_t>(tokens_.size())) {
    anchors_.push_back({boundary.first, boundary.second});
  }
  if (!tokens_.empty()) anchors_.push_back({static_cast<int64_t>(tokens_.size()), text_.size()});
}

void Transcript::Clear() {
  ctx_->Truncate(0);
  tokens_.clear();
  text_.clear();
  anchors_ = {{0, 0}};
}

void Transcript::TruncateToBytes(size_t keep_bytes, SyncStats* stats) {
  // The last anchor at or before keep_bytes is a safe token boundary.
  while (anchors_.size() > 1 && anchors_.back().bytes > keep_bytes) anchors_.pop_back();
  const Anchor a = anchors_.back();
  stats->truncated_tokens += static_cast<int64_t>(tokens_.size()) - a.tokens;
  tokens_.resize(static_cast<size_t>(a.tokens));
  text_.resize(a.bytes);
  ctx_->Truncate(a.tokens);
}

base::Result<SyncStats> Transcript::Sync(std::string_view rendered,
                                         const std::function<void(int64_t, int64_t)>& progress,
                                         const std::atomic<bool>* interrupt) {
  const auto t0 = std::chrono::steady_clock::now();
  SyncStats stats;
  const size_t common = CommonPrefix(text_, rendered);
  if (common < text_.size()) TruncateToBytes(common, &stats);
  stats.reused_tokens = static_cast<int64_t>(tokens_.size());
  const std::string_view delta = rendered.substr(text_.size());
  if (delta.empty()) return stats;

  const engine::Model& model = ctx_->model();
  std::vector<int32_t> fresh;
  // The template spells BOS itself when it wants one (Llama 3); otherwise a
  // tokenizer that expects BOS gets it at the very start.
  const std::string bos_text = model.bos_token() >= 0 ? model.TokenToPiece(model.bos_token(), true) : "";
  if (tokens_.empty() && model.add_bos() && model.bos_token() >= 0 &&
      (bos_text.empty() || !rendered.starts_with(bos_text))) {
    fresh.push_back(model.bos_token());
  }
  const std::vector<int32_t> body = model.Tokenize(delta, /*add_special=*/false, /*parse_special=*/true);
  fresh.insert(fresh.end(), body.begin(), body.end());
  if (tokens_.size() + fresh.size() >= static_cast<size_t>(ctx_->n_ctx())) {
    return base::ResourceExhausted("the conversation needs " + std::to_string(tokens_.size() + fresh.size()) +
                                   " tokens but the context holds " + std::to_string(ctx_->n_ctx()) +
                                   " (raise --ctx)");
  }
  const int64_t start = static_cast<int64_t>(tokens_.size());
  const auto total = static_cast<int64_t>(fresh.size());
  for (int64_t done = 0; done < total;) {
    if (interrupt != nullptr && interrupt->load()) {
      ctx_->Truncate(start);  // a half-prefilled delta has no text boundary
      return base::Cancelled("interrupted during prefill");
    }
    const int64_t n = std::min(kPrefillChunk, total - done);
    RETURN_IF_ERROR(ctx_->Eval(std::span<const int32_t>(fresh.data() + done, static_cast<size_t>(n))));
    done += n;
    if (progress) progress(done, total);
  }
  tokens_.insert(tokens_.end(), fresh.begin(), fresh.end());
  text_.append(delta);
  anchors_.push_back({static_cast<int64_t>(tokens_.size()), text_.size()});
  stats.prefilled_tokens = total;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

void Transcript::AppendGenerated(int32_t token, std::string_view piece) {
  tokens_.push_back(token);
  text_.append(piece);
  anchors_.push_back({static_cast<int64_t>(tokens_.size()), text_.size()});
}

base::Status Transcript::AppendForced(std::string_view text) {
  const std::vector<int32_t> ids = ctx_->model().Tokenize(text, /*add_special=*/false, /*parse_special=*/true);
  if (tokens_.size() + ids.size() >= static_cast<size_t>(ctx_->n_ctx())) {
    return base::ResourceExhausted("the context is full (raise --ctx)");
  }
  if (ids.empty()) return base::Status::Ok();
  RETURN_IF_ERROR(ctx_->Eval(ids));
  for (int32_t id : ids) AppendGenerated(id, ctx_->model().TokenToPiece(id, /*render_special=*/true));
  return base::Status::Ok();
}

}  // namespace agent
