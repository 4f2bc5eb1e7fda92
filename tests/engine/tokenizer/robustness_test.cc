// Arbitrary input never breaks the tokenizer, and concurrent use of one
// tokenizer gives the same answers as sequential use.
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/tokenizer/unicode.h"
#include "tests/engine/tokenizer/tokenizer_test_util.h"
#include "tests/testing.h"

namespace {

using Ids = std::vector<int32_t>;

std::string RandomBytes(std::mt19937* rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(*rng), '\0');
  for (char& c : s) c = static_cast<char>(byte(*rng));
  return s;
}

// Valid UTF-8 mixing ASCII, Latin, CJK, emoji and rarer planes.
std::string RandomUtf8(std::mt19937* rng, size_t max_chars) {
  std::uniform_int_distribution<size_t> len(0, max_chars);
  std::uniform_int_distribution<int> kind(0, 4);
  std::string s;
  for (size_t n = len(*rng); n > 0; --n) {
    uint32_t cp = 0;
    switch (kind(*rng)) {
      case 0: cp = std::uniform_int_distribution<uint32_t>(0x09, 0x7E)(*rng); break;
      case 1: cp = std::uniform_int_distribution<uint32_t>(0xA0, 0x24F)(*rng); break;
      case 2: cp = std::uniform_int_distribution<uint32_t>(0x3000, 0x9FFF)(*rng); break;
      case 3: cp = std::uniform_int_distribution<uint32_t>(0x1F300, 0x1FAFF)(*rng); break;
      default: cp = std::uniform_int_distribution<uint32_t>(0x80, 0x10FFFF)(*rng); break;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';  // no surrogates
    engine::unicode::AppendUtf8(cp, &s);
  }
  return s;
}

}  // namespace

TEST_CASE("random input: no crash, and exact round trips where the vocabulary allows", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  std::mt19937 rng(20261129);
  for (const char* name : {"tiny-tok512-spm", "tiny-bpe512-llama3", "tiny-bpe512-qwen2", "gpt-2", "bert-bge"}) {
    tokenizer_test::Loaded v = tokenizer_test::LoadTokenizer(dir + "/tokenizer/ggml-vocab-" + std::string(name) + ".gguf");
    INFO(name << ": " << v.error);
    REQUIRE(v.tok);
    const engine::Tokenizer& tok = *v.tok;
    const bool is_spm = tok.kind() == engine::TokenizerKind::kSpm;
    const bool is_bpe = tok.kind() == engine::TokenizerKind::kBpe;
    for (int i = 0; i < 150; ++i) {
      const std::string bytes = RandomBytes(&rng, 48);
      const std::string utf8 = RandomUtf8(&rng, 24);
      for (bool parse_special : {false, true}) {
        const Ids a = tok.Encode(bytes, true, parse_special);
        const Ids b = tok.Encode(utf8, false, parse_special);
        for (int32_t id : a) REQUIRE((id >= 0 && id < tok.n_vocab()));
        for (int32_t id : b) REQUIRE((id >= 0 && id < tok.n_vocab()));
        // Only valid UTF-8 round-trips: byte-level BPE turns invalid bytes
        // into U+FFFD, and SPM's character split can swallow the bytes of
        // an escaped space after a bad lead byte (both as in llama.cpp).
        if ((is_spm || is_bpe) && !parse_special) CHECK(tok.Decode(b) == utf8);
        const std::string decoded = tok.Decode(a);
        if (is_spm) CHECK(decoded.size() >= bytes.size());  // byte fallback keeps every byte
      }
    }
  }
}

TEST_CASE("one tokenizer serves many threads", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = tokenizer_test::LoadTokenizer(dir + "/tokenizer/ggml-vocab-tiny-bpe512-llama3.gguf");
  REQUIRE(v.tok);
  const std::string text = tokenizer_test::ReadFileOrDie(dir + "/text/tinystories_val_20k.txt");
  const Ids expected = v.tok->Encode(text, true, true);
  std::vector<Ids> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] { results[t] = v.tok->Encode(text, true, true); });
  }
  for (std::thread& th : threads) th.join();
  for (const Ids& r : results) CHECK(r == expected);
}
