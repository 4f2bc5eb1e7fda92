#include "agent/core/reply.h"

#include <vector>

#include "agent/core/tool_call.h"

namespace agent {
namespace {

// Bytes of `text` that end on a whole UTF-8 character: a token may stop in
// the middle of one, and a front end must not print half of it.
size_t CompleteUtf8Prefix(std::string_view text) {
  size_t i = text.size();
  for (size_t back = 0; back < 4 && i > 0; ++back) {
    const auto c = static_cast<unsigned char>(text[i - 1]);
    if (c < 0x80) return text.size();  // ASCII: complete
    --i;
    if (c >= 0xC0) {  // a lead byte: is its sequence whole?
      const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      return text.size() - i >= need ? text.size() : i;
    }
  }
  return text.size();  // not UTF-8 after all: pass it through
}

}  // namespace

base::Result<Reply> GenerateReply(const ReplyRequest& r) {
  Transcript& t = *r.transcript;
  engine::Context& ctx = *t.context();
  const engine::Model& model = ctx.model();
  Reply reply;
  const size_t consumed_start = t.text().size();
  bool constrained = false;
  auto open_call_if_due = [&]() -> base::Status {
    if (r.constraint == nullptr || constrained || !CallJustOpened(reply.text, r.syntax)) return base::Status::Ok();
    r.constraint->Reset();
    constrained = true;
    // Llama 3 JSON opens on the reply's first '{', which belongs to the call.
    if (r.syntax == engine::ToolCallSyntax::kLlama3Json) return r.constraint->AcceptText("{");
    return base::Status::Ok();
  };
  if (!r.forced_prefix.empty()) {
    RETURN_IF_ERROR(t.AppendForced(r.forced_prefix));
    reply.text = t.text().substr(consumed_start);
    if (r.on_text) r.on_text(reply.text);
    RETURN_IF_ERROR(open_call_if_due());
  }

  std::string pending;  // streamed text held back until its UTF-8 is whole
  auto stream = [&](std::string_view piece, bool flush) {
    pending += piece;
    const size_t n = flush ? pending.size() : CompleteUtf8Prefix(pending);
    if (n > 0 && r.on_text) r.on_text(std::string_view(pending).substr(0, n));
    pending.erase(0, n);
  };
  std::vector<float> logits(static_cast<size_t>(model.n_vocab()));
  while (true) {
    if (r.interrupt != nullptr && r.interrupt->load()) {
      reply.finish = "interrupted";
      break;
    }
    if (reply.tokens >= r.max_tokens) {
      reply.finish = "length";
      break;
    }
    if (ctx.n_past() + 1 >= ctx.n_ctx()) {
      reply.finish = "context_full";
      break;
    }
    const std::span<const float> raw = ctx.logits();
    std::copy(raw.begin(), raw.end(), logits.begin());
    if (constrained) r.constraint->Mask(logits);
    const int32_t token = r.picker->Pick(logits, t.tokens());
    if (constrained) {
      // A picker that ignores the mask (a scripted model) simply leaves
      // constrained decoding; the parser then judges the call.
      if (!r.constraint->Accept(token).ok()) constrained = false;
    }
    if (model.IsEndOfGeneration(token)) {
      // Not evaluated: the template spells the end of the turn itself
      // (<|im_end|>, <|eot_id|>, ...) at the start of the next render, and
      // the model may have picked another end token than the one it uses.
      reply.finish = "end_of_turn";
      break;
    }
    const std::string piece = model.TokenToPiece(token, /*render_special=*/true);
    RETURN_IF_ERROR(ctx.Eval(std::span<const int32_t>(&token, 1)));
    t.AppendGenerated(token, piece);
    ++reply.tokens;
    reply.text += piece;
    stream(piece, false);
    if (constrained && r.constraint->finished()) {
      reply.finish = "tool_call";
      break;
    }
    RETURN_IF_ERROR(open_call_if_due());
  }
  stream({}, true);
  reply.consumed = t.text().substr(consumed_start);
  return reply;
}

}  // namespace agent
