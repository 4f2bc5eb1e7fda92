// The Unicode tables and the pre-tokenizer split steps, on cases whose
// answers follow from llama.cpp's regex semantics.
#include <catch2/catch.hpp>

#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace {

namespace unicode = engine::unicode;
using engine::tokenizer_internal::PreTokenize;
using engine::tokenizer_internal::PreTokenizer;
using Lengths = std::vector<size_t>;

Lengths Split(PreTokenizer type, std::string_view utf8) {
  std::vector<uint32_t> cpts;
  unicode::DecodeUtf8(utf8, &cpts);
  Lengths lengths;
  PreTokenize(type, cpts, &lengths);
  return lengths;
}

}  // namespace

TEST_CASE("code point classes follow Unicode 15.1 general categories", "[tokenizer][unicode]") {
  CHECK(unicode::ClassOf('A') == unicode::kLetter);
  CHECK(unicode::ClassOf('5') == unicode::kNumber);
  CHECK(unicode::ClassOf('$') == unicode::kSymbol);
  CHECK(unicode::ClassOf('_') == unicode::kPunctuation);
  CHECK(unicode::ClassOf(' ') == unicode::kSeparator);
  CHECK(unicode::ClassOf('\n') == unicode::kControl);
  CHECK(unicode::ClassOf(0x00BD) == unicode::kNumber);       // ½
  CHECK(unicode::ClassOf(0x0300) == unicode::kMark);         // combining grave
  CHECK(unicode::ClassOf(0x17B6) == unicode::kMark);         // Khmer vowel sign
  CHECK(unicode::ClassOf(0x200D) == unicode::kControl);      // ZWJ is Cf
  CHECK(unicode::ClassOf(0x1F999) == unicode::kSymbol);      // emoji
  CHECK(unicode::ClassOf(0x4E00) == unicode::kLetter);
  CHECK(unicode::ClassOf(0x2EBF0) == unicode::kLetter);      // CJK extension I (15.1)
  CHECK(unicode::ClassOf(0x0378) == unicode::kUndefined);    // unassigned
  CHECK(unicode::ClassOf(0x10FFFF) == unicode::kUndefined);
  CHECK(unicode::ClassOf(0x110000) == unicode::kUndefined);

  CHECK(unicode::IsWhitespace(' '));
  CHECK(unicode::IsWhitespace(0x0B));
  CHECK(unicode::IsWhitespace(0x85));
  CHECK(unicode::IsWhitespace(0x3000));
  CHECK(unicode::IsWhitespace(0x2009));
  CHECK_FALSE(unicode::IsWhitespace(0x200B));  // zero-width space is not White_Space
  CHECK_FALSE(unicode::IsWhitespace(0x1C));

  CHECK(unicode::ToLower('A') == 'a');
  CHECK(unicode::ToLower('a') == 'a');
  CHECK(unicode::ToLower(0x00C4) == 0x00E4);  // Ä
  CHECK(unicode::ToLower(0x0100) == 0x0101);  // stride-2 run
  CHECK(unicode::ToLower(0x0101) == 0x0101);
  CHECK(unicode::ToLower(0x0130) == 'i');     // İ, simple mapping
  CHECK(unicode::ToLower(0x0411) == 0x0431);  // Б
  CHECK(unicode::ToLower(0x1E9E) == 0x00DF);  // ẞ
  CHECK(unicode::ToLower(0x10400) == 0x10428);

  CHECK(unicode::NfdFirst(0x00E9) == 'e');     // é
  CHECK(unicode::NfdFirst(0x1EC7) == 'e');     // ệ
  CHECK(unicode::NfdFirst(0xAC00) == 0x1100);  // 가 -> ᄀ
  CHECK(unicode::NfdFirst('e') == 'e');
}

TEST_CASE("UTF-8 decoding replaces each bad byte as llama.cpp does", "[tokenizer][unicode]") {
  std::vector<uint32_t> cpts;
  unicode::DecodeUtf8("a\xC3\xA9\xFF\xE2\x82", &cpts);
  CHECK(cpts == std::vector<uint32_t>{'a', 0xE9, 0xFFFD, 0xFFFD, 0xFFFD});
  unicode::DecodeUtf8("\xF0\x9F\xA6\x99\x80", &cpts);
  CHECK(cpts == std::vector<uint32_t>{0x1F999, 0xFFFD});
  unicode::DecodeUtf8("\xC0\x80", &cpts);  // overlong NUL is accepted
  CHECK(cpts == std::vector<uint32_t>{0});
  std::string out;
  unicode::AppendUtf8(0x1F999, &out);
  unicode::AppendUtf8(0x110000, &out);
  CHECK(out == "\xF0\x9F\xA6\x99\xEF\xBF\xBD");
}

TEST_CASE("GPT-2 pre-tokenizer", "[tokenizer][pretokenizer]") {
  CHECK(Split(PreTokenizer::kGpt2, "Hello world") == Lengths{5, 6});
  CHECK(Split(PreTokenizer::kGpt2, "   Hello") == Lengths{2, 6});
  CHECK(Split(PreTokenizer::kGpt2, "a  ") == Lengths{1, 2});
  CHECK(Split(PreTokenizer::kGpt2, "I'm I'M") == Lengths{1, 2, 2, 1, 1});  // contractions are case-sensitive
  CHECK(Split(PreTokenizer::kGpt2, "x 12345!?") == Lengths{1, 6, 2});
  CHECK(Split(PreTokenizer::kGpt2, "").empty());
}

TEST_CASE("Llama-3 and Qwen2 pre-tokenizers", "[tokenizer][pretokenizer]") {
  CHECK(Split(PreTokenizer::kLlama3, "Hello\n\n  World") == Lengths{5, 2, 1, 6});
  CHECK(Split(PreTokenizer::kLlama3, "12345") == Lengths{3, 2});
  CHECK(Split(PreTokenizer::kQwen2, "12345") == Lengths{1, 1, 1, 1, 1});
  CHECK(Split(PreTokenizer::kLlama3, "I'M") == Lengths{1, 2});  // case-insensitive
  CHECK(Split(PreTokenizer::kLlama3, "a !!\n\nb") == Lengths{1, 5, 1});
  CHECK(Split(PreTokenizer::kLlama3, "x ") == Lengths{1, 1});
  CHECK(Split(PreTokenizer::kLlama3, "\t\tword") == Lengths{1, 5});
}

TEST_CASE("DeepSeek, Falcon, StarCoder and default pre-tokenizers", "[tokenizer][pretokenizer]") {
  CHECK(Split(PreTokenizer::kDeepseekLlm, "ab 12\n") == Lengths{2, 1, 2, 1});
  // U+3000 is whitespace, which the CJK range U+0800-U+4E00 does not see:
  // the ideographic space and the ideograph after it stay apart.
  CHECK(Split(PreTokenizer::kDeepseekLlm, "\xE3\x80\x80\xE4\xB8\x80") == Lengths{1, 1});
  CHECK(Split(PreTokenizer::kDeepseekCoder, "x1234") == Lengths{1, 1, 1, 1, 1});
  CHECK(Split(PreTokenizer::kStarcoder, "abc 123") == Lengths{3, 1, 1, 1, 1});
  CHECK(Split(PreTokenizer::kFalcon, "1234567") == Lengths{3, 3, 1});
  CHECK(Split(PreTokenizer::kDefault, "a...b") == Lengths{1, 3, 1});
}

TEST_CASE("DeepSeek-V3 pre-tokenizer (derived from the regex; no reference ids)", "[tokenizer][pretokenizer]") {
  // Digits in threes, then CJK/kana runs, then the word regex. '~' is in
  // no collapsed class except the first alternative's explicit list.
  CHECK(Split(PreTokenizer::kDeepseekV3, "Hello, world! 123456 ~x ~ \xE4\xBD\xA0\xE5\xA5\xBD\xE3\x81\xB2\xE3\x82\x89") ==
        Lengths{5, 1, 6, 1, 1, 3, 3, 1, 2, 1, 1, 1, 4});
  CHECK(Split(PreTokenizer::kDeepseekV3, "a \n\n b") == Lengths{1, 3, 2});
  CHECK(Split(PreTokenizer::kDeepseekV3, "x  !?\n") == Lengths{1, 1, 4});
}

TEST_CASE("pre-tokenizer names map as in llama.cpp", "[tokenizer][pretokenizer]") {
  using engine::tokenizer_internal::LookupPreTokenizer;
  REQUIRE(LookupPreTokenizer("llama-bpe"));
  CHECK(LookupPreTokenizer("llama-bpe")->type == PreTokenizer::kLlama3);
  CHECK(LookupPreTokenizer("llama-bpe")->ignore_merges);
  CHECK(LookupPreTokenizer("llama-bpe")->add_bos);
  CHECK(LookupPreTokenizer("qwen2")->type == PreTokenizer::kQwen2);
  CHECK_FALSE(LookupPreTokenizer("qwen2")->ignore_merges);
  CHECK(LookupPreTokenizer("dbrx")->type == PreTokenizer::kLlama3);
  CHECK_FALSE(LookupPreTokenizer("dbrx")->ignore_merges);
  CHECK(LookupPreTokenizer("refact")->type == PreTokenizer::kStarcoder);
  CHECK(LookupPreTokenizer("mpt")->type == PreTokenizer::kGpt2);
  CHECK_FALSE(LookupPreTokenizer("tekken"));
  CHECK_FALSE(LookupPreTokenizer(""));
}
