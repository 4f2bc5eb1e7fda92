#include "tools/mcp/mcp_client.h"

#include <algorithm>
#include <set>

#include "tools/mcp/content_text.h"

namespace tools::mcp {
namespace {

// Handshake-era revisions whose tools/list and tools/call we understand.
constexpr const char* kKnownLegacyVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
constexpr int64_t kMethodNotFound = -32601;
// Enough for any real server; a cursor loop that never ends is a bug there.
constexpr int kMaxPages = 1000;

std::string ErrorText(int64_t code, const std::string& message) {
  return message + " (JSON-RPC error " + std::to_string(code) + ")";
}

bool ListsVersion(const nlohmann::json& result, const char* version) {
  auto it = result.find("supportedVersions");
  if (it == result.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const nlohmann::json& v) { return v == version; });
}

std::string ServerName(const nlohmann::json& result) {
  auto info = result.find("serverInfo");
  if (info == result.end() || !info->is_object()) return "";
  auto name = info->find("name");
  return name != info->end() && name->is_string() ? name->get<std::string>() : "";
}

}  // namespace

nlohmann::json McpClient::StatelessMeta() const {
  return {{"io.modelcontextprotocol/protocolVersion", kStatelessProtocol},
          {"io.modelcontextprotocol/clientInfo", {{"name", options_.client_name}, {"version", options_.client_version}}},
          {"io.modelcontextprotocol/clientCapabilities", nlohmann::json::object()}};
}

base::Status McpClient::AnswerServerRequest(const nlohmann::json& message, Deadline deadline) {
  nlohmann::json reply = {{"jsonrpc", "2.0"}, {"id", message["id"]}};
  const nlohmann::json& method = message["method"];
  if (method == "ping") {
    reply["result"] = nlohmann::json::object();
  } else {
    reply["error"] = {{"code", kMethodNotFound},
                      {"message", "longhaul does not offer " + (method.is_string() ? method.get<std::string>() : "that")}};
  }
  return lines_.Write(pipes_.in_fd, reply, deadline);
}

base::Result<McpClient::Reply> McpClient::Request(const std::string& method, nlohmann::json params,
                                                  Deadline deadline) {
  if (stateless_ || method == "server/discover") params["_meta"] = StatelessMeta();
  const int64_t id = next_id_++;
  nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.empty()) request["params"] = std::move(params);
  last_request_delivered_ = false;
  RETURN_IF_ERROR(lines_.Write(pipes_.in_fd, request, deadline));
  last_request_delivered_ = true;
  for (;;) {
    ASSIGN_OR_RETURN(nlohmann::json message, lines_.Read(pipes_.out_fd, deadline));
    if (message.contains("method")) {
      if (message.contains("id")) RETURN_IF_ERROR(AnswerServerRequest(message, deadline));
      continue;  // a notification (logging, progress, list_changed)
    }
    auto it = message.find("id");
    if (it == message.end() || *it != id) continue;  // an answer to a request we gave up on
    Reply reply;
    if (auto error = message.find("error"); error != message.end()) {
      reply.is_error = true;
      if (error->is_object()) {
        auto code = error->find("code");
        auto text = error->find("message");
        if (code != error->end() && code->is_number_integer()) reply.error_code = code->get<int64_t>();
        if (text != error->end() && text->is_string()) reply.error_message = text->get<std::string>();
      }
      if (reply.error_message.empty()) reply.error_message = "an error without a message";
      return reply;
    }
    auto result = message.find("result");
    if (result == message.end() || !result->is_object()) {
      return base::Corruption("a response to " + method + " without a result object: \"" +
                              Excerpt(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 120) +
                              "\"");
    }
    reply.result = std::move(*result);
    return reply;
  }
}

base::Status McpClient::Notify(const std::string& method, Deadline deadline) {
  return lines_.Write(pipes_.in_fd, {{"jsonrpc", "2.0"}, {"method", method}}, deadline);
}

base::Status McpClient::Connect(const ConnectOptions& options, Deadline deadline) {
  options_ = options;
  if (options.protocol != ProtocolChoice::kLegacy) {
    probed_ = true;
    const Deadline probe_deadline = std::min(deadline, DeadlineAfter(options.probe_timeout_seconds));
    auto reply = Request("server/discover", nlohmann::json::object(), probe_deadline);
    if (reply.ok() && !reply->is_error && ListsVersion(reply->result, kStatelessProtocol)) {
      stateless_ = true;
      protocol_version_ = kStatelessProtocol;
      server_name_ = ServerName(reply->result);
      return base::Status::Ok();
    }
    // Silence is how some handshake-era servers treat an unknown request;
    // anything else that went wrong is the server's real state.
    if (!reply.ok() && reply.status().code() != base::StatusCode::kDeadlineExceeded) return reply.status();
    if (options.protocol == ProtocolChoice::kStateless) {
      std::string why = !reply.ok()           ? reply.status().message()
                        : reply->is_error     ? ErrorText(reply->error_code, reply->error_message)
                                              : "its supportedVersions do not include " + std::string(kStatelessProtocol);
      return base::Unsupported(std::string("the server does not speak ") + kStatelessProtocol +
                               " (server/discover: " + why + ")");
    }
  }
  return Initialize(deadline);
}

base::Status McpClient::Initialize(Deadline deadline) {
  nlohmann::json params = {
      {"protocolVersion", kLegacyProtocol},
      {"capabilities", nlohmann::json::object()},
      {"clientInfo", {{"name", options_.client_name}, {"version", options_.client_version}}}};
  ASSIGN_OR_RETURN(Reply reply, Request("initialize", std::move(params), deadline));
  if (reply.is_error) {
    return base::FailedPrecondition("the server refused initialize: " + ErrorText(reply.error_code, reply.error_message));
  }
  auto version = reply.result.find("protocolVersion");
  if (version == reply.result.end() || !version->is_string()) {
    return base::FailedPrecondition("the server's initialize result has no protocolVersion");
  }
  const std::string v = version->get<std::string>();
  if (std::find(std::begin(kKnownLegacyVersions), std::end(kKnownLegacyVersions), v) == std::end(kKnownLegacyVersions)) {
    return base::Unsupported("the server speaks MCP " + v + "; longhaul speaks " + kLegacyProtocol +
                             " (and 2025-06-18, 2025-03-26, 2024-11-05) or " + kStatelessProtocol);
  }
  protocol_version_ = v;
  server_name_ = ServerName(reply.result);
  return Notify("notifications/initialized", deadline);
}

base::Result<std::vector<McpToolInfo>> McpClient::ListTools(Deadline deadline, std::vector<std::string>* warnings) {
  std::vector<McpToolInfo> tools;
  std::set<std::string> cursors_seen;
  std::string cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    nlohmann::json params = nlohmann::json::object();
    if (!cursor.empty()) params["cursor"] = cursor;
    ASSIGN_OR_RETURN(Reply reply, Request("tools/list", std::move(params), deadline));
    if (reply.is_error) {
      return base::FailedPrecondition("tools/list failed: " + ErrorText(reply.error_code, reply.error_message));
    }
    auto list = reply.result.find("tools");
    if (list == reply.result.end() || !list->is_array()) {
      return base::Corruption("the tools/list result has no tools array");
    }
    for (const nlohmann::json& t : *list) {
      auto name = t.is_object() ? t.find("name") : t.end();
      if (!t.is_object() || name == t.end() || !name->is_string() || name->get<std::string>().empty()) {
        warnings->push_back("a tool without a name was left out");
        continue;
      }
      McpToolInfo info;
      info.name = name->get<std::string>();
      if (auto d = t.find("description"); d != t.end() && d->is_string()) info.description = d->get<std::string>();
      if (auto title = t.find("title"); info.description.empty() && title != t.end() && title->is_string()) {
        info.description = title->get<std::string>();
      }
      if (auto s = t.find("inputSchema"); s != t.end() && s->is_object()) info.input_schema = *s;
      auto annotations = t.find("annotations");
      if (annotations != t.end() && annotations->is_object()) {
        auto hint = annotations->find("readOnlyHint");
        if (hint != annotations->end() && hint->is_boolean()) info.read_only_hint = hint->get<bool>();
      }
      tools.push_back(std::move(info));
    }
    auto next = reply.result.find("nextCursor");
    if (next == reply.result.end() || !next->is_string() || next->get<std::string>().empty()) return tools;
    cursor = next->get<std::string>();
    if (!cursors_seen.insert(cursor).second) {
      return base::Corruption("tools/list repeats the cursor \"" + Excerpt(cursor, 60) + "\"");
    }
  }
  return base::Corruption("tools/list did not end after " + std::to_string(kMaxPages) + " pages");
}

base::Result<McpCallResult> McpClient::CallTool(const std::string& name, const nlohmann::json& arguments,
                                                Deadline deadline) {
  nlohmann::json params = {{"name", name}, {"arguments", arguments}};
  ASSIGN_OR_RETURN(Reply reply, Request("tools/call", std::move(params), deadline));
  McpCallResult result;
  if (reply.is_error) {
    result.is_error = true;
    result.text = "the plugin server refused the call: " + ErrorText(reply.error_code, reply.error_message);
    return result;
  }
  auto type = reply.result.find("resultType");
  if (type != reply.result.end() && type->is_string() && *type != "complete") {
    result.is_error = true;
    result.text = "the plugin server asked for more input (resultType \"" + type->get<std::string>() +
                  "\"), which longhaul does not support";
    return result;
  }
  auto is_error = reply.result.find("isError");
  result.is_error = is_error != reply.result.end() && is_error->is_boolean() && is_error->get<bool>();
  result.text = RenderCallResult(reply.result);
  return result;
}

}  // namespace tools::mcp
