// PluginHost: owns one MCP plugin's server process and the conversation
// with it. Private to tools/.
//
// The host starts the server in the sandbox, connects (launch.h,
// mcp_client.h) and lists its tools once; that list is what the model sees
// for the whole session. Each call gets the plugin's timeout_seconds.
//
// Failures: a call whose server crashes, hangs past the timeout, closes its
// output, sends a line that is not JSON or one over max_message_bytes
// comes back as an error result saying which; the server is killed (a
// stream that broke once cannot be trusted to be in step). The next call
// starts it again, once: a second failure leaves the plugin off for the
// rest of the session, and every later call says so at once. A server
// found dead between calls counts the same, without failing a call.
// Nothing is retried: a call that may have changed something is never run
// twice (only a request that never reached a server already dead is sent
// again, to the restarted one).
//
// Threading: Call may be used from any thread; calls to one server are
// serialized by a mutex (a stdio server answers one conversation). The
// tools of a plugin share its host through shared_ptr; the last one gone
// stops the server.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "sandbox/sandbox.h"
#include "tools/mcp/launch.h"
#include "tools/mcp/mcp_client.h"
#include "tools/mcp/plugin_config.h"

namespace tools::mcp {

class PluginHost {
 public:
  // Starts the server, connects and lists its tools. Errors say what went
  // wrong, with the end of the server's stderr. Tools the server listed
  // but could not be used are named in `warnings`.
  static base::Result<std::shared_ptr<PluginHost>> Start(const PluginSpec& spec, const LaunchSettings& launch,
                                                          std::vector<std::string>* warnings);

  PluginHost(PluginSpec spec, LaunchSettings launch) : spec_(std::move(spec)), launch_(std::move(launch)) {}
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;
  ~PluginHost();

  const PluginSpec& spec() const { return spec_; }
  const std::vector<McpToolInfo>& tools() const { return tools_; }  // as listed at start
  const std::string& protocol_version() const { return protocol_version_; }

  // Never fails: every failure is an error result the model can read.
  McpCallResult Call(const std::string& tool, const nlohmann::json& arguments);

 private:
  base::Status StartServerLocked(ProtocolChoice protocol);
  // Kills the server and says how the failure `why` (after waiting
  // `waited_seconds`) looked from outside, with the end of its stderr.
  std::string StopServerLocked(const base::Status& why, double waited_seconds);
  double StartupTimeout() const;
  // Uses up the one restart; an error result when it is gone or fails.
  std::optional<McpCallResult> RestartLocked();
  void NoteFailureLocked(const std::string& how);
  McpCallResult OffResult() const;

  const PluginSpec spec_;
  const LaunchSettings launch_;
  std::vector<McpToolInfo> tools_;
  std::string protocol_version_;

  std::mutex mu_;
  std::unique_ptr<sandbox::SandboxedProcess> process_;  // null while stopped
  std::unique_ptr<McpClient> client_;
  bool restarted_ = false;  // the one restart is used up
  bool given_up_ = false;
  std::string failures_;    // what went wrong, for the final message
};

}  // namespace tools::mcp
