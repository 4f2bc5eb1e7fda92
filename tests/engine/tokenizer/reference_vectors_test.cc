// Every vocabulary in testdata/tokenizer against llama.cpp's token ids:
// the 46 edge-case strings of test-tokenizer-0 and the 20 KB TinyStories
// text, all with add_special = false, parse_special = false.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include <catch2/catch.hpp>

#include "tests/engine/tokenizer/tokenizer_test_util.h"
#include "tests/testing.h"

namespace {

using tokenizer_test::LoadTokenizer;
using tokenizer_test::ParseIds;
using tokenizer_test::ReadFileOrDie;
using tokenizer_test::SplitOn;

const char* const kVocabs[] = {
    "bert-bge",  "deepseek-coder", "deepseek-llm", "falcon", "gpt-2",
    "llama-bpe", "llama-spm",      "mpt",          "phi-3",  "qwen2",
    "refact",    "starcoder",      "tiny-bpe512-llama3", "tiny-bpe512-qwen2", "tiny-tok512-spm",
};

std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void CheckVocab(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/tokenizer/ggml-vocab-" + name + ".gguf";
  tokenizer_test::Loaded loaded = LoadTokenizer(path);
  INFO(path << ": " << loaded.error);
  REQUIRE(loaded.tok);
  const engine::Tokenizer& tok = *loaded.tok;

  // test-tokenizer-0 format: each case is followed by the separator line.
  std::vector<std::string> cases = SplitOn(ReadFileOrDie(path + ".inp"), "\n__ggml_vocab_test__\n");
  REQUIRE(cases.size() == 47);
  REQUIRE(cases.back().empty());  // nothing after the last separator
  cases.pop_back();
  std::vector<std::string> lines = SplitOn(ReadFileOrDie(path + ".out"), "\n");
  REQUIRE(lines.size() == cases.size() + 1);  // every line ends with '\n'
  REQUIRE(lines.back().empty());

  int passed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::vector<int32_t> expected = ParseIds(lines[i]);
    const std::vector<int32_t> got = tok.Encode(cases[i], /*add_special=*/false, /*parse_special=*/false);
    INFO(name << " case " << i << ": \"" << Printable(cases[i]) << "\"");
    CHECK(got == expected);
    passed += got == expected;
  }

  const std::string text = ReadFileOrDie(dir + "/text/tinystories_val_20k.txt");
  REQUIRE(text.size() == 20000);
  const std::vector<int32_t> expected = ParseIds(ReadFileOrDie(path + ".ts20k.ids"));
  REQUIRE(!expected.empty());
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int32_t> got = tok.Encode(text, false, false);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  size_t first_diff = 0;
  while (first_diff < got.size() && first_diff < expected.size() && got[first_diff] == expected[first_diff]) {
    ++first_diff;
  }
  INFO(name << " ts20k: first difference at token " << first_diff << " of " << expected.size());
  CHECK(got == expected);
  std::printf("tokenizer vectors %-20s %2d/%zu cases, ts20k %s (%zu tokens, %.1f ms)\n", name.c_str(), passed,
              cases.size(), got == expected ? "match" : "MISMATCH", expected.size(), ms);
}

}  // namespace

#define VOCAB_TEST(name)                                                             \
  TEST_CASE("llama.cpp reference ids: " name, "[tokenizer][testdata]") {             \
    REQUIRE_TESTDATA(dir);                                                           \
    CheckVocab(dir, name);                                                           \
  }

VOCAB_TEST("bert-bge")
VOCAB_TEST("deepseek-coder")
VOCAB_TEST("deepseek-llm")
VOCAB_TEST("falcon")
VOCAB_TEST("gpt-2")
VOCAB_TEST("llama-bpe")
VOCAB_TEST("llama-spm")
VOCAB_TEST("mpt")
VOCAB_TEST("phi-3")
VOCAB_TEST("qwen2")
VOCAB_TEST("refact")
VOCAB_TEST("starcoder")
VOCAB_TEST("tiny-bpe512-llama3")
VOCAB_TEST("tiny-bpe512-qwen2")
VOCAB_TEST("tiny-tok512-spm")

TEST_CASE("every reference vocabulary has a test", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  std::set<std::string> known(std::begin(kVocabs), std::end(kVocabs));
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/tokenizer")) {
    const std::string file = entry.path().filename().string();
    const std::string prefix = "ggml-vocab-", suffix = ".gguf";
    if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0 ||
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    ++found;
    const std::string name = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
    INFO(file);
    CHECK(known.count(name) == 1);
  }
  CHECK(found == static_cast<int>(known.size()));
}
