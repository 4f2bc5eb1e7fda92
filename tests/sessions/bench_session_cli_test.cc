// `longhaul bench session`, run as the built binary on a tiny model.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/testing.h"

TEST_CASE("bench session reports checkpoint, resume and fork figures", "[sessions][cli][bench]") {
  const std::string dir = testing::MakeTempDir("lh_bench_sess");
  const std::string model = dir + "/m.gguf";
  REQUIRE(testing::RunLonghaul({"model", "tiny", "--out", model, "--layers", "2"}).exit_code == 0);

  auto r = testing::RunLonghaul({"bench", "session", "-m", model, "--tokens", "256,1k", "--step", "64", "--reps", "1",
                                 "-t", "2", "--kv", "tiered:sink=4,window=64,unit=4,block=32,topk=4,dense_layers=0"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["bench"] == "session");
  CHECK(j["llama_cpp_reference"].get<std::string>().find("128K") != std::string::npos);
  REQUIRE(j["sizes"].size() == 2);
  for (const auto& s : j["sizes"]) {
    INFO(s.dump());
    for (const char* section : {"first_checkpoint", "step"}) {
      CHECK(s[section]["ms"].get<double>() > 0);
      CHECK(s[section]["bytes"].get<double>() > 0);
      CHECK(s[section]["syncs"].get<double>() > 0);
    }
    CHECK(s["resume"]["ms"].get<double>() > 0);
    CHECK(s["resume"]["bytes_mapped"].get<double>() > 0);  // cold payloads stay in the segments
    CHECK(s["resume"]["first_decode_ms"].get<double>() > 0);
    CHECK(s["reprefill_ms"].get<double>() > 0);
    CHECK(s["reprefill_over_resume"].get<double>() > 0);
    CHECK(s["reprefill_extrapolated"] == false);
    CHECK(s["disk_bytes_per_token"].get<double>() > 0);
    CHECK(s["fork_ms"].get<double>() > 0);
    CHECK(s["bit_identical"] == true);
  }
  CHECK(j["sizes"][0]["tokens"] == 256);
  CHECK(j["sizes"][1]["tokens"] == 1024);
  // Incremental checkpoints: a step at 4x the size writes about as much.
  CHECK(j["sizes"][1]["step"]["bytes"].get<double>() < 2 * j["sizes"][0]["step"]["bytes"].get<double>());

  // Bad sizes are usage errors.
  CHECK(testing::RunLonghaul({"bench", "session", "-m", model, "--tokens", "12q"}).exit_code == 2);
  CHECK(testing::RunLonghaul({"bench", "session", "-m", model, "--tokens", "0"}).exit_code == 2);
}
