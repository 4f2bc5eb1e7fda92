// Helpers shared by the chat template tests.
#pragma once

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/chat/chat_template.h"

namespace chat_test {

inline std::string GoldenDir() { return std::string(LONGHAUL_SOURCE_DIR) + "/tests/engine/chat/golden"; }

inline nlohmann::json LoadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
}

// A golden case's "options" object -> ChatRenderOptions, the way
// scripts/gen_chat_goldens.mjs builds the reference's context.
inline engine::ChatRenderOptions OptionsFromJson(const nlohmann::json& j) {
  engine::ChatRenderOptions options;
  options.messages = j.value("messages", nlohmann::json());
  if (j.contains("tools")) options.tools = j["tools"];
  options.add_generation_prompt = j.value("add_generation_prompt", true);
  options.bos_token = j.value("bos_token", "");
  options.eos_token = j.value("eos_token", "");
  if (j.contains("extra")) options.extra = j["extra"];
  return options;
}

// Runs a shell command; returns its stdout and sets *exit_code.
inline std::string RunCommand(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *exit_code = -1;
    return output;
  }
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  *exit_code = ::pclose(pipe);
  return output;
}

}  // namespace chat_test
