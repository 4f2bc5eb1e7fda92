// The client half of MCP over stdio, for tools only: connect (probe with
// server/discover, else the initialize handshake), list tools (all pages),
// call one. Private to tools/.
//
// Protocol revisions: a server that answers server/discover listing
// 2026-07-28 is spoken to statelessly (no handshake; every request carries
// the version, client info and capabilities in params._meta). Any other
// answer to the probe (an error such as -32601 or -32602, a list without
// that version) or silence within the probe timeout means a server of the
// handshake era: initialize with protocolVersion 2025-11-25, accepting the
// older revisions a server may answer with (their tools methods are the
// same), then notifications/initialized.
//
// While waiting for a response the client answers the server's `ping`,
// refuses its other requests (sampling, roots, elicitation: -32601, which
// longhaul does not offer), ignores notifications and skips responses to
// requests it gave up on.
//
// Transport failures come back as the JsonLines statuses (kDeadlineExceeded,
// kIoError, kCorruption, kResourceExhausted); a JSON-RPC error response is
// not a transport failure.
//
// Threading: one McpClient per server process, used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "tools/mcp/json_lines.h"

namespace tools::mcp {

inline constexpr char kLegacyProtocol[] = "2025-11-25";
inline constexpr char kStatelessProtocol[] = "2026-07-28";

enum class ProtocolChoice {
  kAuto,       // probe, then fall back to the handshake
  kLegacy,     // the initialize handshake only (no probe)
  kStateless,  // server/discover must list 2026-07-28
};

// The pipes of one server: the client writes to `in_fd`, reads `out_fd`.
struct ServerPipes {
  int in_fd = -1;
  int out_fd = -1;
};

struct ConnectOptions {
  ProtocolChoice protocol = ProtocolChoice::kAuto;
  double probe_timeout_seconds = 3;
  std::string client_name = "longhaul";
  std::string client_version = "0.1";
};

struct McpToolInfo {
  std::string name;
  std::string description;  // the description, else the title, else ""
  nlohmann::json input_schema;
  std::optional<bool> read_only_hint;  // annotations.readOnlyHint
};

struct McpCallResult {
  bool is_error = false;
  std::string text;  // the content rendered for the model (content_text.h)
};

class McpClient {
 public:
  McpClient(ServerPipes pipes, size_t max_message_bytes) : pipes_(pipes), lines_(max_message_bytes) {}

  // Errors: transport failures; kFailedPrecondition when the server refuses
  // the handshake; kUnsupported for a protocol version we cannot speak.
  base::Status Connect(const ConnectOptions& options, Deadline deadline);

  // Every tool, all pages followed. Tools without a usable name are left
  // out and named in `warnings`.
  base::Result<std::vector<McpToolInfo>> ListTools(Deadline deadline, std::vector<std::string>* warnings);

  // A JSON-RPC error response or an isError result is an McpCallResult with
  // is_error set; only transport failures are errors here.
  base::Result<McpCallResult> CallTool(const std::string& name, const nlohmann::json& arguments,
                                       Deadline deadline);

  // Whether the last request reached the server's input. When it did not
  // (the server was already gone), it cannot have had any effect.
  bool last_request_delivered() const { return last_request_delivered_; }
  const std::string& protocol_version() const { return protocol_version_; }
  bool stateless() const { return stateless_; }
  bool probed() const { return probed_; }
  const std::string& server_name() const { return server_name_; }

 private:
  struct Reply {
    bool is_error = false;
    nlohmann::json result;  // when !is_error
    int64_t error_code = 0;
    std::string error_message;
  };
  base::Result<Reply> Request(const std::string& method, nlohmann::json params, Deadline deadline);
  base::Status Notify(const std::string& method, Deadline deadline);
  base::Status AnswerServerRequest(const nlohmann::json& message, Deadline deadline);
  base::Status Initialize(Deadline deadline);
  nlohmann::json StatelessMeta() const;

  ServerPipes pipes_;
  JsonLines lines_;
  int64_t next_id_ = 1;
  bool stateless_ = false;
  bool probed_ = false;
  bool last_request_delivered_ = false;
  std::string protocol_version_;
  std::string server_name_;
  ConnectOptions options_;
};

}  // namespace tools::mcp
