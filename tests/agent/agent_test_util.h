// Shared fixtures for the agent tests: a tiny real model, a scripted
// token picker (canned replies behind the model seam), and an event pump.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "engine/engine.h"
#include "sessions/store.h"

namespace agent_test {

template <typename T>
T Unwrap(base::Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// A 2-layer random model with the built-in byte-level vocabulary and a
// ChatML template; written once per process.
const std::string& TinyModelPath();
std::unique_ptr<engine::Context> MakeContext(const engine::Model& model, int64_t n_ctx = 8192);

// Replies with canned texts, one per reply index (the reply after the last
// is "done."). Each is tokenized and fed token by token, then end of turn;
// the mask is ignored, as a model that writes malformed calls would.
class ScriptedPicker final : public agent::TokenPicker {
 public:
  ScriptedPicker(engine::Model model, std::vector<std::string> replies);
  void BeginReply(int64_t reply_index) override;
  int32_t Pick(std::span<float> logits, std::span<const int32_t> history) override;
  // Called before each token with the count so far (tests interrupt here).
  std::function<void(int)> on_pick;

 private:
  engine::Model model_;
  std::vector<std::string> replies_;
  std::vector<int32_t> script_;
  size_t next_ = 0;
  int picked_ = 0;
};

// A repository in a temp dir with the given files.
std::string MakeRepo(const std::vector<std::pair<std::string, std::string>>& files);

struct Harness {
  std::string data_dir;
  std::string repo;
  engine::Model model;
  std::unique_ptr<sessions::Store> store;
};
Harness MakeHarness(const std::vector<std::pair<std::string, std::string>>& files);

agent::AgentOptions Options(Harness& h, std::shared_ptr<agent::TokenPicker> picker);

// Events until (and including) the next kTurnDone, or kClosed.
std::vector<agent::Event> PumpTurn(agent::Agent* agent);
// The next event of one of `kinds` (others are skipped); nullopt after 30 s.
std::optional<agent::Event> NextOfKind(agent::Agent* agent, std::initializer_list<agent::Event::Kind> kinds);
// Events after kQuit until kClosed.
std::vector<agent::Event> Close(std::unique_ptr<agent::Agent> agent);
// Kinds, skipping token and prefill_progress events.
std::vector<std::string> Kinds(const std::vector<agent::Event>& events);
std::vector<agent::Event> OfKind(const std::vector<agent::Event>& events, agent::Event::Kind kind);

std::string Call(const std::string& name, const std::string& arguments_json);

}  // namespace agent_test
