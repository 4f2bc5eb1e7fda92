// Tokenizers built from hand-made GGUF metadata: the algorithms on tiny
// vocabularies whose answers are known, and a clear error for each kind of
// bad metadata.
#include <cstdio>

#include <catch2/catch.hpp>

#include "tests/engine/tokenizer/tokenizer_test_util.h"

namespace {

using engine::Tokenizer;
using tokenizer_test::GgufBuilder;
using Ids = std::vector<int32_t>;

// All 256 GPT-2 byte characters as tokens 0..255, in byte order.
std::vector<std::string> Gpt2ByteTokens() {
  std::vector<std::string> tokens;
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    tokens.push_back(s);
  }
  return tokens;
}

// A byte-level BPE vocabulary: bytes, then "ab", "abc", "bc", "<|end|>".
GgufBuilder TinyBpe(const std::vector<std::string>& merges, std::string_view pre = "gpt-2") {
  std::vector<std::string> tokens = Gpt2ByteTokens();
  for (const char* t : {"ab", "abc", "bc", "<|end|>"}) tokens.push_back(t);
  std::vector<int32_t> types(tokens.size(), 1);
  types.back() = 3;  // control
  GgufBuilder b;
  b.Str("tokenizer.ggml.model", "gpt2")
      .Str("tokenizer.ggml.pre", pre)
      .Strs("tokenizer.ggml.tokens", tokens)
      .I32s("tokenizer.ggml.token_type", types)
      .Strs("tokenizer.ggml.merges", merges)
      .U32("tokenizer.ggml.eos_token_id", 259);
  return b;
}

struct Built {
  std::string bytes;
  std::unique_ptr<engine::GgufFile> gguf;
  base::Result<std::unique_ptr<Tokenizer>> tok = base::Internal("not built");
};

std::unique_ptr<Built> Build(const GgufBuilder& b) {
  auto out = std::make_unique<Built>();
  out->bytes = b.Build();
  out->tok = tokenizer_test::TokenizerFromBytes(out->bytes, &out->gguf);
  return out;
}

void ExpectError(const GgufBuilder& b, base::StatusCode code, const std::string& needle) {
  auto built = Build(b);
  REQUIRE_FALSE(built->tok.ok());
  const std::string msg = built->tok.status().ToString();
  INFO(msg);
  CHECK(built->tok.status().code() == code);
  CHECK(msg.find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("BPE merges apply by rank, leftmost first on ties", "[tokenizer]") {
  // "ab" before "bc": abc -> ab + c -> abc.
  auto built = Build(TinyBpe({"a b", "ab c", "b c"}));
  REQUIRE(built->tok.ok());
  const Tokenizer& tok = **built->tok;
  CHECK(tok.Encode("abc", false, false) == Ids{257});
  CHECK(tok.Encode("abcabc", false, false) == Ids{257, 257});
  CHECK(tok.Encode("bc", false, false) == Ids{258});
  CHECK(tok.IsEndOfGeneration(259));
  CHECK(tok.IsControl(259));
  CHECK(tok.Encode("x<|end|>", false, true) == Ids{'x', 259});
  CHECK(tok.Encode("x<|end|>", false, false).size() == 8);  // plain text without parse_special

  // "bc" ranked first: a + bc, and "a bc" is no merge.
  auto other = Build(TinyBpe({"b c", "a b", "ab c"}));
  REQUIRE(other->tok.ok());
  CHECK((**other->tok).Encode("abc", false, false) == Ids{'a', 258});
}

TEST_CASE("SPM merges by score with byte fallback", "[tokenizer]") {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(name);
  }
  for (const char* t : {"\xE2\x96\x81", "a", "b", "ab", "\xE2\x96\x81" "a", "\xE2\x96\x81" "ab"}) tokens.push_back(t);
  std::vector<float> scores(tokens.size(), 0.0f);
  for (int i = 259; i < 265; ++i) scores[i] = static_cast<float>(258 - i);  // -1 .. -6
  std::vector<int32_t> types(tokens.size(), 1);  // normal
  types[0] = 2;                                  // unknown
  types[1] = types[2] = 3;                       // control
  for (int i = 3; i < 259; ++i) types[i] = 6;    // byte
  GgufBuilder b;
  b.Str("tokenizer.ggml.model", "llama")
      .Strs("tokenizer.ggml.tokens", tokens)
      .F32s("tokenizer.ggml.scores", scores)
      .I32s("tokenizer.ggml.token_type", types);
  auto built = Build(b);
  REQUIRE(built->tok.ok());
  const Tokenizer& tok = **built->tok;
  // "▁ab": the best-scoring pair "ab" (-4) beats "▁a" (-5); then "▁ab" (-6).
  CHECK(tok.Encode("ab", false, false) == Ids{264});
  CHECK(tok.Encode("ab", true, false) == Ids{1, 264});
  // "c" is not a token: byte fallback.
  CHECK(tok.Encode("c", false, false) == Ids{259, 3 + 'c'});
  CHECK(tok.Decode(tok.Encode("ab c", true, false)) == "ab c");
}

TEST_CASE("bad tokenizer metadata gives errors that name the key", "[tokenizer]") {
  using base::StatusCode;
  const std::vector<std::string> ok_merges = {"a b"};

  ExpectError(GgufBuilder().Strs("tokenizer.ggml.tokens", {"a"}), StatusCode::kNotFound, "tokenizer.ggml.model");
  ExpectError(GgufBuilder().U32("tokenizer.ggml.model", 1), StatusCode::kInvalidArgument, "tokenizer.ggml.model");
  ExpectError(GgufBuilder().Str("tokenizer.ggml.model", "t5").Strs("tokenizer.ggml.tokens", {"a"}),
              StatusCode::kUnsupported, "'t5'");
  ExpectError(GgufBuilder().Str("tokenizer.ggml.model", "llama"), StatusCode::kNotFound, "tokenizer.ggml.tokens");
  ExpectError(GgufBuilder().Str("tokenizer.ggml.model", "llama").U32s("tokenizer.ggml.tokens", {1, 2}),
              StatusCode::kInvalidArgument, "tokenizer.ggml.tokens");
  ExpectError(GgufBuilder().Str("tokenizer.ggml.model", "llama").Strs("tokenizer.ggml.tokens", {}),
              StatusCode::kInvalidArgument, "empty");
  ExpectError(GgufBuilder().Str("tokenizer.ggml.model", "llama").Strs("tokenizer.ggml.tokens", {"a", "b", "a"}),
              StatusCode::kInvalidArgument, "duplicate token 'a'");
  ExpectError(GgufBuilder()
                  .Str("tokenizer.ggml.model", "llama")
                  .Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
                  .F32s("tokenizer.ggml.scores", {0.0f}),
              StatusCode::kInvalidArgument, "tokenizer.ggml.scores");
  ExpectError(GgufBuilder()
                  .Str("tokenizer.ggml.model", "llama")
                  .Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
                  .U32("tokenizer.ggml.bos_token_id", 7),
              StatusCode::kInvalidArgument, "tokenizer.ggml.bos_token_id");
  ExpectError(GgufBuilder()
                  .Str("tokenizer.ggml.model", "llama")
                  .Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
                  .Str("tokenizer.ggml.eos_token_id", "2"),
              StatusCode::kInvalidArgument, "tokenizer.ggml.eos_token_id");
  // SPM adds BOS by default; with one token there is no default BOS id.
  ExpectError(GgufBuilder().Str("tokenizer.ggml.model", "llama").Strs("tokenizer.ggml.tokens", {"a"}),
              StatusCode::kInvalidArgument, "add_bos_token is true");

  GgufBuilder no_merges;
  no_merges.Str("tokenizer.ggml.model", "gpt2").Str("tokenizer.ggml.pre", "gpt-2").Strs("tokenizer.ggml.tokens",
                                                                                        Gpt2ByteTokens());
  ExpectError(no_merges, StatusCode::kNotFound, "tokenizer.ggml.merges");
  ExpectError(TinyBpe({"a b", "abc"}), StatusCode::kInvalidArgument, "tokenizer.ggml.merges[1]");
  ExpectError(TinyBpe({"ab "}), StatusCode::kInvalidArgument, "tokenizer.ggml.merges[0]");
  ExpectError(TinyBpe(ok_merges, "no-such-pre"), StatusCode::kUnsupported,
              "'no-such-pre'");
  ExpectError(TinyBpe(ok_merges).Bool("tokenizer.ggml.add_bos_token", true), StatusCode::kInvalidArgument,
              "bos_token_id is not set");
  ExpectError(TinyBpe(ok_merges).Str("tokenizer.ggml.add_bos_token", "yes"), StatusCode::kInvalidArgument,
              "tokenizer.ggml.add_bos_token");
}

TEST_CASE("sentinel and out-of-range optional ids do not fail", "[tokenizer]") {
  // stories260K stores "no token" as 0xFFFFFFFF.
  auto built = Build(TinyBpe({"a b"})
                         .U32("tokenizer.ggml.seperator_token_id", 0xFFFFFFFF)
                         .U32("tokenizer.ggml.padding_token_id", 99999)
                         .I32("tokenizer.ggml.bos_token_id", -1));
  INFO(built->tok.status().ToString());
  REQUIRE(built->tok.ok());
  CHECK((**built->tok).bos() == -1);
  CHECK((**built->tok).eos() == 259);
}
