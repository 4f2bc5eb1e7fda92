// `longhaul model info` and `longhaul model tiny`, run as a user would.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/filesystem.h"
#include "engine/model_file.h"
#include "tests/testing.h"

namespace {

using testing::RunLonghaul;

std::string ReadAll(const std::string& path) {
  auto bytes = base::DefaultFileSystem()->ReadFile(path);
  REQUIRE(bytes.ok());
  return *bytes;
}

TEST_CASE("model tiny writes a loadable model, the same bytes every run", "[cli][tiny]") {
  const std::string dir = testing::MakeTempDir("model_cli");
  const std::vector<std::string> args = {"model", "tiny", "--arch", "qwen3", "--type", "q8_0", "--layers", "1",
                                         "--head-dim", "64", "--seed", "7"};
  auto with_out = [&](const std::string& out) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--out", out});
    return a;
  };
  auto first = RunLonghaul(with_out(dir + "/a.gguf"));
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("wrote " + dir + "/a.gguf: qwen3") && Catch::Contains("fingerprint"));
  auto second = RunLonghaul(with_out(dir + "/b.gguf"));
  REQUIRE(second.exit_code == 0);
  CHECK(ReadAll(dir + "/a.gguf") == ReadAll(dir + "/b.gguf"));

  // The fingerprint printed by another process equals the in-process one.
  auto info = RunLonghaul({"model", "info", "--json", dir + "/a.gguf"});
  REQUIRE(info.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(info.out);
  auto in_process = engine::DescribeModelFile(dir + "/a.gguf");
  REQUIRE(in_process.ok());
  CHECK(j["fingerprint"] == in_process->fingerprint);
  CHECK(j["architecture"] == "qwen3");
  CHECK(j["hparams"]["n_layer"] == 1);
  CHECK(j["hparams"]["head_dim"] == 64);
  CHECK(j["hparams"]["rope_scaling_type"].is_null());
  CHECK(j["tokenizer"]["model"] == "gpt2");
  CHECK(j["tokenizer"]["vocab_size"] == 512);
  CHECK(j["tokenizer"]["has_chat_template"] == true);
  CHECK(j["tensors"].size() == 2 + 11);  // token_embd, output_norm, 11 per qwen3 block
  CHECK(j["tensors"][0]["name"] == "token_embd.weight");
  CHECK(j["tensors"][0]["type"] == "q8_0");
  CHECK(j["tensors"][0]["shape"] == nlohmann::json::array({256, 512}));
  CHECK(first.out.find(in_process->fingerprint) != std::string::npos);
}

TEST_CASE("model info prints a table for a reference model", "[cli][info][testdata]") {
  REQUIRE_TESTDATA(dir);
  auto r = RunLonghaul({"model", "info", dir + "/models/tiny-llama-spm-q4_k_m.gguf"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("architecture    llama") && Catch::Contains("MOSTLY_Q4_K_M") &&
                        Catch::Contains("n_ff            768") && Catch::Contains("q4_K x13, q6_K x3") &&
                        Catch::Contains("blk.1.ffn_down.weight") && Catch::Contains("[768, 256]"));
}

TEST_CASE("model info on a truncated file exits 1 and says where it broke", "[cli][info][bad]") {
  const std::string dir = testing::MakeTempDir("model_cli");
  REQUIRE(RunLonghaul({"model", "tiny", "--out", dir + "/m.gguf", "--layers", "1"}).exit_code == 0);
  const std::string whole = ReadAll(dir + "/m.gguf");
  REQUIRE(base::DefaultFileSystem()->WriteFileAtomic(dir + "/cut.gguf", whole.substr(0, whole.size() / 2)).ok());
  auto r = RunLonghaul({"model", "info", dir + "/cut.gguf"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith("error: Corruption: " + dir + "/cut.gguf: GGUF field 'tensor '") &&
                        Catch::Contains("lies outside the data section") && Catch::Contains("file truncated?"));

  auto header_cut = RunLonghaul({"model", "info", dir + "/header.gguf"});
  CHECK(header_cut.exit_code == 1);  // missing file
  CHECK_THAT(header_cut.err, Catch::Contains("header.gguf"));
  REQUIRE(base::DefaultFileSystem()->WriteFileAtomic(dir + "/header.gguf", whole.substr(0, 100)).ok());
  header_cut = RunLonghaul({"model", "info", dir + "/header.gguf"});
  CHECK(header_cut.exit_code == 1);
  CHECK_THAT(header_cut.err, Catch::Contains("at offset") && Catch::Contains("(file truncated?)"));
}

TEST_CASE("model tiny reports usage errors with exit code 2", "[cli][tiny][bad]") {
  const std::string dir = testing::MakeTempDir("model_cli");
  auto k_quant = RunLonghaul({"model", "tiny", "--type", "q4_k", "--embd", "128", "--heads", "4", "--kv-heads", "2",
                              "--out", dir + "/x.gguf"});
  CHECK(k_quant.exit_code == 2);
  CHECK_THAT(k_quant.err, Catch::Contains("q4_K packs rows in blocks of 256") && Catch::Contains("--embd = 128"));
  CHECK_FALSE(*base::DefaultFileSystem()->Exists(dir + "/x.gguf"));

  CHECK(RunLonghaul({"model", "tiny", "--arch", "gemma", "--out", dir + "/x.gguf"}).exit_code == 2);
  CHECK(RunLonghaul({"model", "tiny", "--type", "q3_k", "--out", dir + "/x.gguf"}).exit_code == 2);
  CHECK(RunLonghaul({"model", "tiny", "--layers", "two", "--out", dir + "/x.gguf"}).exit_code == 2);
  CHECK(RunLonghaul({"model", "tiny", "--tied", "--untied", "--out", dir + "/x.gguf"}).exit_code == 2);
  CHECK(RunLonghaul({"model", "tiny"}).exit_code == 2);  // --out is required
  CHECK(RunLonghaul({"model", "info"}).exit_code == 2);  // FILE is required
  CHECK(RunLonghaul({"model"}).exit_code == 2);
  auto no_dir = RunLonghaul({"model", "tiny", "--out", dir + "/no/such/dir/x.gguf"});
  CHECK(no_dir.exit_code == 1);
  CHECK_THAT(no_dir.err, Catch::Contains("no/such/dir"));
}

}  // namespace
