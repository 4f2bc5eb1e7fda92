// Our renderings against @huggingface/jinja's: the committed goldens always,
// and the live reference (node + the pinned npm packages) when available.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/chat/chat_template.h"
#include "tests/engine/chat/chat_test_util.h"

namespace {

using nlohmann::json;

struct Rendered {
  bool ok = false;
  std::string text;  // output, or the error message
};

// Renders every case of one golden file with our interpreter.
std::vector<Rendered> RenderGoldenFile(const json& golden) {
  std::vector<Rendered> results;
  std::map<std::string, base::Result<engine::ChatTemplate>> parsed;
  for (const json& c : golden["cases"]) {
    const std::string source = c.contains("chat_template") ? c["chat_template"].get<std::string>()
                                                           : golden["chat_template"].get<std::string>();
    auto it = parsed.find(source);
    if (it == parsed.end()) it = parsed.emplace(source, engine::ChatTemplate::Parse(source)).first;
    Rendered r;
    if (!it->second.ok()) {
      r.text = it->second.status().ToString();
    } else {
      base::Result<std::string> out = it->second->Render(chat_test::OptionsFromJson(c["options"]));
      r.ok = out.ok();
      r.text = out.ok() ? *out : out.status().ToString();
    }
    results.push_back(std::move(r));
  }
  return results;
}

// `reference` is a case object with either "expected" or "error".
void CheckAgainst(const json& reference, const Rendered& ours, const std::string& label) {
  INFO(label);
  if (reference.contains("expected")) {
    INFO("our error: " << (ours.ok ? std::string("none") : ours.text));
    REQUIRE(ours.ok);
    CHECK(ours.text == reference["expected"].get<std::string>());
  } else {
    INFO("the reference fails with: " << reference["error"].get<std::string>());
    INFO("we rendered: " << ours.text);
    CHECK_FALSE(ours.ok);
  }
}

void CheckGoldenFile(const std::string& name) {
  const std::string path = chat_test::GoldenDir() + "/" + name + ".json";
  json golden = chat_test::LoadJson(path);
  REQUIRE(golden.is_object());
  REQUIRE(golden["cases"].size() > 0);
  std::vector<Rendered> ours = RenderGoldenFile(golden);
  size_t expected_outputs = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const json& c = golden["cases"][i];
    expected_outputs += c.contains("expected") ? 1 : 0;
    CheckAgainst(c, ours[i], name + ":" + c["name"].get<std::string>());
  }
  // Most cases must render: a golden of nothing but errors proves little.
  CHECK(expected_outputs * 2 > ours.size());
}

}  // namespace

TEST_CASE("golden: Qwen3 template matches @huggingface/jinja", "[chat]") { CheckGoldenFile("qwen3"); }
TEST_CASE("golden: Llama 3 template matches @huggingface/jinja", "[chat]") { CheckGoldenFile("llama3"); }
TEST_CASE("golden: Llama 3.1 template matches @huggingface/jinja", "[chat]") { CheckGoldenFile("llama3_1"); }
TEST_CASE("golden: DeepSeek V3 template matches @huggingface/jinja", "[chat]") { CheckGoldenFile("deepseek_v3"); }
TEST_CASE("golden: Gemma 3 template matches @huggingface/jinja", "[chat]") { CheckGoldenFile("gemma3"); }
TEST_CASE("golden: Mistral Nemo template matches @huggingface/jinja", "[chat]") { CheckGoldenFile("mistral_nemo"); }

TEST_CASE("golden: language features match @huggingface/jinja", "[chat]") {
  const json golden = chat_test::LoadJson(chat_test::GoldenDir() + "/features.json");
  REQUIRE(golden.is_object());
  std::vector<Rendered> ours = RenderGoldenFile(golden);
  size_t failures = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const json& c = golden["cases"][i];
    CheckAgainst(c, ours[i], "features:" + c["name"].get<std::string>() + " template: " + c["chat_template"].get<std::string>());
    failures += c.contains("error") ? 1 : 0;
  }
  CHECK(ours.size() >= 200);
  CHECK(failures > 50);  // error cases are part of the contract too
}

TEST_CASE("golden: the golden directory holds every template", "[chat]") {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(chat_test::GoldenDir())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"deepseek_v3.json", "features.json", "gemma3.json", "llama3.json",
                                          "llama3_1.json", "mistral_nemo.json", "qwen3.json"});
}

TEST_CASE("live: renderings match @huggingface/jinja run through node", "[chat]") {
  const std::string root = LONGHAUL_SOURCE_DIR;
  int code = 0;
  const std::string node = chat_test::RunCommand("command -v node 2>/dev/null", &code);
  if (code != 0 || node.empty()) {
    WARN("SKIPPED: `node` is not on PATH; compared against the committed goldens only");
    return;
  }
  if (!std::filesystem::exists(root + "/third_party/npm/@huggingface/jinja/dist/index.js")) {
    WARN("SKIPPED: third_party/npm/@huggingface/jinja is missing (run scripts/fetch-npm.sh); goldens only");
    return;
  }
  std::vector<std::string> files;
  std::string command = "node '" + root + "/scripts/gen_chat_goldens.mjs' render";
  for (const auto& entry : std::filesystem::directory_iterator(chat_test::GoldenDir())) {
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) command += " '" + f + "'";
  const std::string output = chat_test::RunCommand(command + " 2>&1", &code);
  INFO(output.substr(0, 2000));
  REQUIRE(code == 0);
  const json live = json::parse(output, nullptr, /*allow_exceptions=*/false);
  REQUIRE(live.is_object());
  size_t compared = 0;
  for (const std::string& f : files) {
    const json golden = chat_test::LoadJson(f);
    const json& reference = live["files"][f];
    REQUIRE(reference["cases"].size() == golden["cases"].size());
    if (reference["template_matches_package"].is_boolean()) {
      INFO(f << ": the npm package's chat_template differs from the golden; regenerate the goldens");
      CHECK(reference["template_matches_package"].get<bool>());
    }
    std::vector<Rendered> ours = RenderGoldenFile(golden);
    for (size_t i = 0; i < ours.size(); ++i) {
      const json& ref_case = reference["cases"][i];
      CheckAgainst(ref_case, ours[i], f + ":" + ref_case["name"].get<std::string>());
      // The goldens must still be what the reference produces.
      INFO(f << ":" << ref_case["name"].get<std::string>() << " golden is stale; run gen_chat_goldens.mjs write");
      CHECK(ref_case.contains("expected") == golden["cases"][i].contains("expected"));
      if (ref_case.contains("expected") && golden["cases"][i].contains("expected")) {
        CHECK(ref_case["expected"] == golden["cases"][i]["expected"]);
      }
      ++compared;
    }
  }
  CHECK(compared > 300);
}
