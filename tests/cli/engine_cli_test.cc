// The engine commands of `longhaul`, run as a user would: output, exit
// codes (0 ok, 1 runtime error, 2 usage) and error messages.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>

#include "nlohmann/json.hpp"
#include "tests/testing.h"

namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Offset of the type field of a tensor's directory entry.
size_t TensorTypeOffset(const std::string& file, const std::string& tensor, int n_dims) {
  size_t at = file.find(tensor);
  REQUIRE(at != std::string::npos);
  return at + tensor.size() + 4 + 8 * static_cast<size_t>(n_dims);
}

}  // namespace

TEST_CASE("generate streams stories260K's greedy story", "[cli][engine]") {
  REQUIRE_TESTDATA(testdata);
  auto r = testing::RunLonghaul({"generate", "-m", testdata + "/models/stories260K.gguf", "-p",
                                 "Once upon a time", "-n", "16", "--temp", "0", "-t", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("Once upon a time, there was a little girl named Lily.", 0) == 0);
  CHECK(r.err.find("tok/s") != std::string::npos);
}

TEST_CASE("generate runs on the tiered KV cache", "[cli][engine][kv]") {
  REQUIRE_TESTDATA(testdata);
  const std::string model = testdata + "/models/stories260K.gguf";
  // Everything fits the exact tiers: the same greedy story as dense.
  auto fits = testing::RunLonghaul(
      {"generate", "-m", model, "-p", "Once upon a time", "-n", "16", "--temp", "0", "-t", "2", "--kv", "tiered"});
  INFO(fits.err);
  REQUIRE(fits.exit_code == 0);
  CHECK(fits.out.rfind("Once upon a time, there was a little girl named Lily.", 0) == 0);
  // A small exact budget, set through the flags: far positions are selected.
  auto tiny_budget = testing::RunLonghaul({"generate", "-m", model, "-p", "Once upon a time", "-n", "300",
                                           "--temp", "0", "-t", "2", "--ignore-eos", "--kv", "tiered:sink=4",
                                           "--kv-window", "64", "--kv-topk", "4", "--kv-dense-layers", "0"});
  INFO(tiny_budget.err);
  REQUIRE(tiny_budget.exit_code == 0);
  CHECK(tiny_budget.out.size() > 600);
  CHECK(tiny_budget.err.find("generated: 300 tokens") != std::string::npos);

  auto bad_key = testing::RunLonghaul({"generate", "-m", model, "-p", "hi", "--kv", "tiered:windw=64"});
  CHECK(bad_key.exit_code == 2);
  CHECK_THAT(bad_key.err, Catch::Contains("windw"));
  auto bad_value = testing::RunLonghaul({"generate", "-m", model, "-p", "hi", "--kv-window", "lots"});
  CHECK(bad_value.exit_code == 2);
  CHECK_THAT(bad_value.err, Catch::Contains("--kv-window") && Catch::Contains("lots"));
  auto invalid = testing::RunLonghaul({"generate", "-m", model, "-p", "hi", "--kv", "tiered", "--kv-bits", "3"});
  CHECK(invalid.exit_code != 0);
  CHECK_THAT(invalid.err, Catch::Contains("bits"));
  auto f32_tiered = testing::RunLonghaul({"generate", "-m", model, "-p", "hi", "--kv", "tiered", "--kv-type", "f32"});
  CHECK(f32_tiered.exit_code == 1);
  CHECK_THAT(f32_tiered.err, Catch::Contains("--kv-type f32 applies to the dense cache"));
}

TEST_CASE("eval writes every position's logits and prints the ids", "[cli][engine]") {
  REQUIRE_TESTDATA(testdata);
  const std::string out = testing::MakeTempDir("lh_eval") + "/logits.f32";
  auto r = testing::RunLonghaul({"eval", "-m", testdata + "/models/stories260K.gguf", "--tokens",
                                 "1,403,407,261,378", "--kv-type", "f32", "--logits-out", out});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "1 403 407 261 378\n");
  const std::string ours = ReadBytes(out);
  const std::string ref = ReadBytes(testdata + "/refs/stories260K/kvf32_nofa.logits.f32");
  REQUIRE(ours.size() == 5 * 512 * sizeof(float));
  REQUIRE(ref.size() == ours.size());
  std::vector<float> a(5 * 512), b(5 * 512);
  std::memcpy(a.data(), ours.data(), ours.size());
  std::memcpy(b.data(), ref.data(), ref.size());
  double max_abs = 0;
  for (size_t i = 0; i < a.size(); ++i) max_abs = std::max(max_abs, double(std::abs(a[i] - b[i])));
  CHECK(max_abs < 1e-4);
}

TEST_CASE("perplexity on stories260K is within 0.5% of llama.cpp's 3.7783", "[cli][engine]") {
  REQUIRE_TESTDATA(testdata);
  auto r = testing::RunLonghaul({"perplexity", "-m", testdata + "/models/stories260K.gguf", "-f",
                                 testdata + "/text/tinystories_val_20k.txt", "-c", "256", "-b", "256",
                                 "--kv-type", "f32", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  std::printf("perplexity stories260K: %.6f (llama.cpp 3.7783)\n", j["ppl"].get<double>());
  CHECK(j["chunks"] == 37);
  CHECK(j["tokens_scored"] == 4699);
  CHECK(std::abs(j["ppl"].get<double>() / 3.7783 - 1.0) < 0.005);
}

TEST_CASE("tokenize prints ids with BOS", "[cli][engine]") {
  REQUIRE_TESTDATA(testdata);
  auto r = testing::RunLonghaul({"tokenize", "-m", testdata + "/models/stories260K.gguf", "-p", "Once upon a time"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "1 403 407 261 378\n");
}

TEST_CASE("tokenize works on vocabulary-only files", "[cli][engine]") {
  REQUIRE_TESTDATA(testdata);
  const std::string vocab = testdata + "/tokenizer/ggml-vocab-llama-spm.gguf";
  // The first vector of its .inp/.out pair (ids without BOS).
  auto r = testing::RunLonghaul({"tokenize", "-m", vocab, "-p", "ied 4 \u00bd months", "--no-special"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "474 287 29871 29946 29871 30226 7378\n");
  // Running it is refused clearly: there are no weights.
  auto run = testing::RunLonghaul({"generate", "-m", vocab, "-p", "hi"});
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("token_embd.weight"));
}

TEST_CASE("bench engine prints one JSON object", "[cli][engine][bench]") {
  REQUIRE_TESTDATA(testdata);
  auto r = testing::RunLonghaul({"bench", "engine", "-m", testdata + "/models/stories260K.gguf", "--pp", "32",
                                 "--tg", "8", "--reps", "1", "-t", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["prompt_tok_s"]["median"].get<double>() > 0);
  CHECK(j["decode_tok_s"]["median"].get<double>() > 0);
  CHECK(j["model_bytes"].get<uint64_t>() > 0);
  CHECK(j["peak_rss_bytes"].get<int64_t>() > 0);
}

TEST_CASE("bench engine times llama.cpp side by side", "[cli][engine][bench][llama_cpp]") {
  REQUIRE_TESTDATA(testdata);
  auto r = testing::RunLonghaul({"bench", "engine", "-m", testdata + "/models/stories260K.gguf", "--pp", "32",
                                 "--tg", "8", "--reps", "1", "-t", "1", "--vs-llama-cpp"});
  INFO(r.err << r.out);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.contains("llama_cpp"));
  if (j["llama_cpp"].contains("error")) {
    // Without the peer the bench still reports our numbers and says why.
    WARN("SKIPPED: " << j["llama_cpp"]["error"].get<std::string>());
    CHECK_THAT(j["llama_cpp"]["error"].get<std::string>(), Catch::Contains("llama.cpp"));
    return;
  }
  CHECK(j["llama_cpp"]["prompt_tok_s"]["median"].get<double>() > 0);
  CHECK(j["llama_cpp"]["decode_tok_s"]["median"].get<double>() > 0);
  const double ratio = j["llama_cpp"]["decode_ratio"].get<double>();
  CHECK(ratio == Approx(j["decode_tok_s"]["median"].get<double>() /
                        j["llama_cpp"]["decode_tok_s"]["median"].get<double>()).epsilon(0.01));
}

TEST_CASE("bench engine --grammar times the tool-call mask", "[cli][engine][bench][grammar]") {
  REQUIRE_TESTDATA(testdata);
  // A small model on the real 152K-token Qwen2 vocabulary.
  const std::string model = testing::MakeTempDir("bench_grammar") + "/qwen2-vocab.gguf";
  auto made = testing::RunLonghaul({"model", "tiny", "--arch", "qwen2", "--type", "q8_0", "--embd", "64", "--heads",
                                    "2", "--kv-heads", "1", "--ff", "64", "--layers", "1", "--vocab-from",
                                    testdata + "/tokenizer/ggml-vocab-qwen2.gguf", "--out", model});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  auto r = testing::RunLonghaul(
      {"bench", "engine", "-m", model, "--pp", "8", "--tg", "2", "--reps", "1", "-t", "1", "--grammar", "60"});
  INFO(r.err << r.out);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["grammar"]["masks"] == 60);
  CHECK(j["grammar"]["mask_ms"]["median"].get<double>() > 0);
  CHECK(j["grammar"]["vocab"].get<int>() > 100000);  // the real Qwen2 vocabulary
}

TEST_CASE("bench kv prints one JSON object", "[cli][bench][kv]") {
  auto r = testing::RunLonghaul({"bench", "kv", "--sections", "bytes", "--byte-lengths", "32768", "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["bench"] == "kv");
  REQUIRE(j["bytes"]["geometries"].size() >= 2);
  for (const auto& g : j["bytes"]["geometries"]) {
    INFO(g.dump());
    const auto& at = g["lengths"][0];
    CHECK(at["tokens"] == 32768);
    CHECK(at["hot_ratio"].get<double>() > 0);
    CHECK(at["hot_ratio"].get<double>() < at["stored_ratio"].get<double>());
    CHECK(at["stored_ratio"].get<double>() < 1.0);  // compressed, by construction of the tiers
  }
}

TEST_CASE("bad input gets a clear error and exit code 1", "[cli][engine][errors]") {
  REQUIRE_TESTDATA(testdata);
  const std::string model = testdata + "/models/stories260K.gguf";
  const std::string dir = testing::MakeTempDir("lh_bad");
  const std::string original = ReadBytes(model);

  SECTION("empty prompt") {
    auto r = testing::RunLonghaul({"generate", "-m", model, "-p", ""});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("prompt is empty") != std::string::npos);
  }
  SECTION("prompt longer than the context") {
    auto r = testing::RunLonghaul({"generate", "-m", model, "-p", "Once upon a time there was a girl", "-c", "4"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("does not fit the context of 4") != std::string::npos);
  }
  SECTION("missing file") {
    auto r = testing::RunLonghaul({"generate", "-m", dir + "/nope.gguf", "-p", "hi"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("nope.gguf") != std::string::npos);
  }
  SECTION("truncated file") {
    WriteBytes(dir + "/trunc.gguf", original.substr(0, original.size() / 2));
    auto r = testing::RunLonghaul({"generate", "-m", dir + "/trunc.gguf", "-p", "hi"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("outside the data section") != std::string::npos);
  }
  SECTION("bad magic") {
    std::string bytes = original;
    bytes[0] = 'X';
    WriteBytes(dir + "/magic.gguf", bytes);
    auto r = testing::RunLonghaul({"generate", "-m", dir + "/magic.gguf", "-p", "hi"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("bad magic") != std::string::npos);
  }
  SECTION("unknown architecture") {
    std::string bytes = original;
    // The value of general.architecture follows its key, type and length.
    const std::string key = "general.architecture";
    size_t at = bytes.find(key);
    REQUIRE(at != std::string::npos);
    at += key.size() + 4 + 8;
    REQUIRE(bytes.substr(at, 5) == "llama");
    bytes.replace(at, 5, "gamma");
    WriteBytes(dir + "/arch.gguf", bytes);
    auto r = testing::RunLonghaul({"generate", "-m", dir + "/arch.gguf", "-p", "hi"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("unknown model architecture 'gamma'") != std::string::npos);
  }
  SECTION("unsupported tensor type") {
    std::string bytes = original;
    const size_t at = TensorTypeOffset(bytes, "output_norm.weight", 1);
    uint32_t type = 0;
    std::memcpy(&type, &bytes[at], 4);
    REQUIRE(type == 0);  // F32
    type = 24;           // I8: a valid GGUF type longhaul cannot compute with
    std::memcpy(&bytes[at], &type, 4);
    WriteBytes(dir + "/type.gguf", bytes);
    auto r = testing::RunLonghaul({"generate", "-m", dir + "/type.gguf", "-p", "hi"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("output_norm.weight") != std::string::npos);
    CHECK(r.err.find("unsupported type i8") != std::string::npos);
  }
  SECTION("usage errors exit 2") {
    CHECK(testing::RunLonghaul({"generate", "-p", "hi"}).exit_code == 2);
    CHECK(testing::RunLonghaul({"generate", "-m", model, "-p", "hi", "--kv-type", "q3"}).exit_code == 2);
    CHECK(testing::RunLonghaul({"no-such-command"}).exit_code == 2);
    CHECK(testing::RunLonghaul({"eval", "-m", model}).exit_code == 2);
  }
}

TEST_CASE("The backend flag: auto falls back to the CPU saying so once, cuda without a device fails", "[cli][engine]") {
  REQUIRE_TESTDATA(testdata);
  const auto devices = testing::RunLonghaul({"devices"});
  REQUIRE(devices.exit_code == 0);
  const bool has_device = devices.out.find("cuda:0") != std::string::npos;
  const bool built_with_cuda = devices.out.find("built without CUDA") == std::string::npos;
  // bench session makes several contexts in one process: one line for all.
  auto r = testing::RunLonghaul({"bench", "session", "-m", testdata + "/models/stories260K.gguf", "--tokens", "256",
                                 "--step", "64", "-t", "2", "--backend", "auto"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  size_t said = 0;
  for (size_t at = r.err.find("running on the CPU"); at != std::string::npos; at = r.err.find("running on the CPU", at + 1)) {
    ++said;
  }
  CHECK(said == (built_with_cuda && !has_device ? 1u : 0u));
  if (!has_device) {
    auto cuda = testing::RunLonghaul({"generate", "-m", testdata + "/models/stories260K.gguf", "-p", "Once", "-n", "2",
                                      "--backend", "cuda"});
    CHECK(cuda.exit_code == 1);
    CHECK(cuda.err.find("CUDA") != std::string::npos);
  }
  auto bad = testing::RunLonghaul({"generate", "-m", testdata + "/models/stories260K.gguf", "-p", "Once", "--backend",
                                   "gpu"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("unknown backend 'gpu'") != std::string::npos);
}
