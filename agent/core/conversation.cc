#include "agent/core/conversation.h"

#include <algorithm>

namespace agent {
namespace {

base::Status Malformed(const std::string& kind, const nlohmann::json& payload) {
  return base::Corruption("malformed '" + kind + "' event in the session log: " + payload.dump().substr(0, 200));
}

bool HasString(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_string(); }

}  // namespace

nlohmann::json ToolMessage(const std::string& role, const std::string& id, const std::string& name,
                           const std::string& text) {
  if (role == "tool") return {{"role", "tool"}, {"tool_call_id", id}, {"name", name}, {"content", text}};
  return {{"role", role}, {"content", "<tool_response>\n" + text + "\n</tool_response>"}};
}

base::Status Conversation::Apply(const std::string& kind, const nlohmann::json& p) {
  // A log written by us holds the right types; a damaged one must give an
  // error, not an exception (json::value throws on a type mismatch).
  try {
    return ApplyChecked(kind, p);
  } catch (const nlohmann::json::exception& e) {
    return base::Corruption("malformed '" + kind + "' event in the session log (" + e.what() + ")");
  }
}

base::Status Conversation::ApplyChecked(const std::string& kind, const nlohmann::json& p) {
  if (!p.is_object()) return Malformed(kind, p);
  if (kind == kEvSessionStarted) {
    settings_ = p;
    tool_role_ = p.value("tool_role", "tool");
  } else if (kind == kEvUserMessage || kind == kEvNotice) {
    if (!HasString(p, "text")) return Malformed(kind, p);
    if (kind == kEvUserMessage) {
      users_.push_back(
          {messages_.size(), p.value("checkpoint_before", int64_t{0}), p.value("files_step_before", int64_t{-1})});
    }
    messages_.push_back({{"role", "user"}, {"content", p["text"]}});
  } else if (kind == kEvAssistantMessage) {
    if (!HasString(p, "text")) return Malformed(kind, p);
    ReplyMark mark;
    mark.message_index = messages_.size();
    mark.n_past_after = p.value("n_past_after", int64_t{-1});
    mark.prompt_tokens = p.value("prompt_tokens", int64_t{0});
    mark.prompt_bytes = p.value("prompt_bytes", uint64_t{0});
    mark.tail = p.value("tail", "");
    mark.consumed_hash = p.value("consumed_hash", uint64_t{0});
    replies_.push_back(std::move(mark));
    messages_.push_back({{"role", "assistant"}, {"content", p["text"]}});
  } else if (kind == kEvToolCall) {
    if (!HasString(p, "id")) return Malformed(kind, p);
    pending_[p["id"]] = {p["id"], p.value("name", "")};
    ++n_calls_;
    NoteTouched(p);
  } else if (kind == kEvToolResult) {
    if (!HasString(p, "id") || !HasString(p, "text")) return Malformed(kind, p);
    const std::string id = p["id"];
    pending_.erase(id);
    outputs_[id] = p.value("full_output", p["text"].get<std::string>());
    messages_.push_back(ToolMessage(tool_role_, id, p.value("name", ""), p["text"]));
  } else if (kind == kEvFilesCheckpoint) {
    files_step_ = std::max(files_step_, p.value("step", int64_t{-1}));
  } else if (kind == kEvUndo) {
    const auto keep = p.value("keep_messages", uint64_t{0});
    if (keep > messages_.size()) return Malformed(kind, p);
    messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(keep), messages_.end());
    std::erase_if(replies_, [&](const ReplyMark& m) { return m.message_index >= keep; });
    std::erase_if(users_, [&](const UserMark& m) { return m.message_index >= keep; });
  }
  // Unknown kinds (from newer versions, or `generate`'s prompt events) are
  // kept in the log and ignored here.
  return base::Status::Ok();
}

// A file a call names ("path") moves to the front of touched_files_: the
// code map ranks what the session works on first.
void Conversation::NoteTouched(const nlohmann::json& call) {
  const auto args = call.find("arguments");
  if (args == call.end() || !args->is_object()) return;
  const auto path = args->find("path");
  if (path == args->end() || !path->is_string() || path->get_ref<const std::string&>().empty()) return;
  const std::string& file = path->get_ref<const std::string&>();
  std::erase(touched_files_, file);
  touched_files_.insert(touched_files_.begin(), file);
  if (touched_files_.size() > kMaxTouchedFiles) touched_files_.pop_back();
}

std::optional<std::string> Conversation::Output(const std::string& id) const {
  auto it = outputs_.find(id);
  if (it == outputs_.end()) return std::nullopt;
  return it->second;
}

}  // namespace agent
