// Guards against super-linear behaviour on long, unusual inputs (one huge
// pre-token, long whitespace runs, many special-looking texts). The limits
// are loose on purpose: a quadratic path takes minutes on these inputs,
// a linear one milliseconds. Speed itself is a benchmark's business.
#include <chrono>
#include <cstdio>

#include <catch2/catch.hpp>

#include "tests/engine/tokenizer/tokenizer_test_util.h"
#include "tests/testing.h"

namespace {

double SecondsToEncode(const engine::Tokenizer& tok, const std::string& text, size_t* n_tokens) {
  const auto t0 = std::chrono::steady_clock::now();
  *n_tokens = tok.Encode(text, false, true).size();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Repeat(std::string_view unit, size_t n) {
  std::string s;
  s.reserve(unit.size() * n);
  for (size_t i = 0; i < n; ++i) s += unit;
  return s;
}

}  // namespace

TEST_CASE("encoding long pathological inputs stays fast", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  const std::vector<std::string> inputs = {
      Repeat(" ", 100000) + "x",               // one whitespace run
      Repeat("a", 100000),                     // one pre-token
      Repeat("\xE4\xB8\x80", 30000),           // one CJK run
      Repeat("<|im_end|>[PAD] <s>", 5000),     // special-token look-alikes
      Repeat("1", 50000) + Repeat("\n", 50000),
  };
  for (const char* name : {"tiny-tok512-spm", "tiny-bpe512-llama3", "tiny-bpe512-qwen2", "deepseek-llm", "gpt-2",
                           "bert-bge"}) {
    tokenizer_test::Loaded v = tokenizer_test::LoadTokenizer(dir + "/tokenizer/ggml-vocab-" + std::string(name) + ".gguf");
    INFO(name << ": " << v.error);
    REQUIRE(v.tok);
    for (size_t i = 0; i < inputs.size(); ++i) {
      size_t n_tokens = 0;
      const double s = SecondsToEncode(*v.tok, inputs[i], &n_tokens);
      INFO("input " << i << ": " << n_tokens << " tokens in " << s << " s");
      CHECK(n_tokens > 0);
      CHECK(s < 10.0);
      std::printf("tokenizer scaling %-20s input %zu: %7zu bytes -> %6zu tokens in %.3f s\n", name, i,
                  inputs[i].size(), n_tokens, s);
    }
  }
}
