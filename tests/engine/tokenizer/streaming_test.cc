// StreamingDetokenizer: split UTF-8 sequences are held back until whole;
// what comes out is always valid UTF-8.
#include <catch2/catch.hpp>

#include "tests/engine/tokenizer/tokenizer_test_util.h"
#include "tests/testing.h"

namespace {

using engine::StreamingDetokenizer;
using tokenizer_test::LoadTokenizer;
using Ids = std::vector<int32_t>;

bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// tok512 SPM ids of the raw byte tokens <0x00>..<0xFF>.
int32_t ByteToken(uint8_t b) { return 3 + b; }

}  // namespace

TEST_CASE("streaming holds back an emoji split over byte tokens", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadTokenizer(dir + "/tokenizer/ggml-vocab-tiny-tok512-spm.gguf");
  INFO(v.error);
  REQUIRE(v.tok);
  const std::string llama = "\xF0\x9F\xA6\x99";  // U+1F999
  const Ids ids = v.tok->Encode(llama, false, false);
  // "▁" then four byte tokens.
  REQUIRE(ids.size() == 5);
  for (int i = 0; i < 4; ++i) CHECK(ids[1 + i] == ByteToken(static_cast<uint8_t>(llama[i])));

  StreamingDetokenizer stream(v.tok.get());
  CHECK(stream.Push(ids[0]) == " ");
  CHECK(stream.Push(ids[1]).empty());
  CHECK(stream.Push(ids[2]).empty());
  CHECK(stream.Push(ids[3]).empty());
  CHECK(stream.Push(ids[4]) == llama);
  CHECK(stream.Flush().empty());

  // Text around it streams through unchanged.
  const std::string text = "Once upon a time \xC3\xAB and " + llama + "!\n";
  std::string streamed;
  StreamingDetokenizer whole(v.tok.get());
  for (int32_t id : v.tok->Encode(text, true, false)) streamed += whole.Push(id);
  streamed += whole.Flush();
  CHECK(streamed == " " + text);  // the SPM space prefix is part of the first piece
}

TEST_CASE("streaming replaces invalid bytes with U+FFFD", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadTokenizer(dir + "/tokenizer/ggml-vocab-tiny-tok512-spm.gguf");
  REQUIRE(v.tok);
  const std::string fffd = "\xEF\xBF\xBD";
  StreamingDetokenizer stream(v.tok.get());
  CHECK(stream.Push(ByteToken(0xFF)) == fffd);          // can never start a sequence
  CHECK(stream.Push(ByteToken(0x80)) == fffd);          // stray continuation byte
  CHECK(stream.Push(ByteToken(0xE2)).empty());          // incomplete, held back
  CHECK(stream.Push(ByteToken('a')) == fffd + "a");     // broken by an ASCII byte
  CHECK(stream.Push(ByteToken(0xED)).empty());
  CHECK(stream.Push(ByteToken(0xA0)) == fffd + fffd);   // a surrogate: ED A0 is never valid
  CHECK(stream.Push(ByteToken(0xF0)).empty());
  CHECK(stream.Push(ByteToken(0x9F)).empty());
  CHECK(stream.Flush() == fffd);                        // incomplete at the end
  CHECK(stream.Flush().empty());
  CHECK(stream.Push(1).empty());                        // control tokens render as nothing
  CHECK(stream.Push(-5).empty());                       // out-of-range ids too
}

TEST_CASE("streaming byte-level BPE output matches Decode", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  for (const char* name : {"gpt-2", "qwen2"}) {
    tokenizer_test::Loaded v = LoadTokenizer(dir + "/tokenizer/ggml-vocab-" + std::string(name) + ".gguf");
    INFO(name << ": " << v.error);
    REQUIRE(v.tok);
    const std::string text = "\xF0\x9F\x9A\x80 (normal) \xF0\x9F\x98\xB6\xE2\x80\x8D\xF0\x9F\x8C\xAB\xEF\xB8\x8F "
                             "\xE6\x88\x91\xE6\x83\xB3 \xE1\x9E\x80\xE1\x9E\xB6";
    const Ids ids = v.tok->Encode(text, false, false);
    StreamingDetokenizer stream(v.tok.get());
    std::string streamed;
    for (int32_t id : ids) {
      const std::string chunk = stream.Push(id);
      CHECK(IsValidUtf8(chunk));  // whole code points only
      streamed += chunk;
    }
    streamed += stream.Flush();
    CHECK(streamed == text);
  }
}
