// Tokenizer behaviour on the reference vocabularies and models: special
// tokens, BOS/EOS, pieces, round trips and metadata-derived properties.
#include <catch2/catch.hpp>

#include "tests/engine/tokenizer/tokenizer_test_util.h"
#include "tests/testing.h"

namespace {

using engine::Tokenizer;
using engine::TokenizerKind;
using tokenizer_test::LoadTokenizer;
using tokenizer_test::ParseIds;
using tokenizer_test::ReadFileOrDie;
using tokenizer_test::SplitOn;
using Ids = std::vector<int32_t>;

tokenizer_test::Loaded LoadVocab(const std::string& dir, const std::string& name) {
  tokenizer_test::Loaded loaded = LoadTokenizer(dir + "/tokenizer/ggml-vocab-" + name + ".gguf");
  INFO(name << ": " << loaded.error);
  REQUIRE(loaded.tok);
  return loaded;
}

std::vector<std::string> TestStrings(const std::string& dir) {
  std::vector<std::string> cases =
      SplitOn(ReadFileOrDie(dir + "/tokenizer/ggml-vocab-gpt-2.gguf.inp"), "\n__ggml_vocab_test__\n");
  cases.pop_back();
  return cases;
}

}  // namespace

TEST_CASE("stories260K prompt gets BOS and llama.cpp's ids", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded m = LoadTokenizer(dir + "/models/stories260K.gguf");
  INFO(m.error);
  REQUIRE(m.tok);
  const std::string prompt = ReadFileOrDie(dir + "/refs/prompt_stories260K.txt");
  REQUIRE(prompt == "Once upon a time");
  CHECK(m.tok->Encode(prompt, /*add_special=*/true, /*parse_special=*/false) == Ids{1, 403, 407, 261, 378});
  CHECK(m.tok->Encode(prompt, false, false) == Ids{403, 407, 261, 378});
  CHECK(m.tok->kind() == TokenizerKind::kSpm);
  CHECK(m.tok->add_bos());
  CHECK(m.tok->bos() == 1);
  CHECK(m.tok->eos() == 2);
  CHECK(m.tok->n_vocab() == 512);
  // The greedy continuation decodes to llama.cpp's text.
  const Ids gen = ParseIds(ReadFileOrDie(dir + "/refs/stories260K/kvf32_nofa.gen_ids.txt"));
  REQUIRE(gen.size() == 64);
  std::string text;
  for (int32_t id : gen) text += m.tok->TokenToPiece(id);
  CHECK(text == ReadFileOrDie(dir + "/refs/stories260K/kvf32_nofa.gen_text.txt"));
}

TEST_CASE("tiny model prompts match llama.cpp with add_special", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  const std::string prompt = ReadFileOrDie(dir + "/refs/prompt_tiny.txt");
  for (const char* model : {"tiny-llama-spm-f32", "tiny-llama-bpe-f32", "tiny-qwen2-f32", "tiny-qwen3-f32"}) {
    tokenizer_test::Loaded m = LoadTokenizer(dir + "/models/" + model + ".gguf");
    INFO(model << ": " << m.error);
    REQUIRE(m.tok);
    CHECK(m.tok->Encode(prompt, true, false) == ParseIds(ReadFileOrDie(dir + "/refs/" + model + "/prompt_ids.txt")));
  }
}

TEST_CASE("Decode inverts Encode on byte-complete vocabularies", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  std::vector<std::string> texts = TestStrings(dir);
  texts.push_back(ReadFileOrDie(dir + "/text/tinystories_val_20k.txt"));
  texts.push_back("int main() {\n\treturn a .b ,c ' d;  // <s> </s> <|endoftext|>\n}\n");
  for (const char* name : {"gpt-2", "llama-bpe", "qwen2", "llama-spm", "tiny-tok512-spm", "tiny-bpe512-llama3",
                           "tiny-bpe512-qwen2", "deepseek-coder"}) {
    tokenizer_test::Loaded v = LoadVocab(dir, name);
    for (const std::string& text : texts) {
      INFO(name << ": \"" << text.substr(0, 80) << "\"");
      CHECK(v.tok->Decode(v.tok->Encode(text, false, false)) == text);
      CHECK(v.tok->Decode(v.tok->Encode(text, true, false)) == text);
    }
  }
}

TEST_CASE("parse_special splits out control tokens; plain text never does", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadVocab(dir, "llama-bpe");
  const Tokenizer& tok = *v.tok;
  const std::string text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
  const Ids special = tok.Encode(text, false, true);
  REQUIRE(special.size() >= 5);
  CHECK(special.front() == 128006);
  CHECK(special.back() == 128009);
  CHECK(tok.TokenText(128006) == "<|start_header_id|>");
  const Ids plain = tok.Encode(text, false, false);
  for (int32_t id : plain) CHECK_FALSE(tok.IsControl(id));
  CHECK(tok.Decode(plain) == text);
  // With BOS (Llama 3 adds it by default).
  CHECK(tok.add_bos());
  CHECK(tok.Encode("Hi", true, false).front() == 128000);
  // Rendering.
  CHECK(tok.TokenToPiece(128009).empty());
  CHECK(tok.TokenToPiece(128009, /*render_special=*/true) == "<|eot_id|>");
  CHECK(tok.Decode(special) == "user\n\nHi");
  CHECK(tok.pre() == "llama-bpe");
  CHECK(tok.kind() == TokenizerKind::kBpe);
}

TEST_CASE("SPM adds a space prefix after each special token", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadVocab(dir, "tiny-tok512-spm");
  const Tokenizer& tok = *v.tok;
  const Ids hello = tok.Encode("Once", false, false);
  Ids expected = {1};
  expected.insert(expected.end(), hello.begin(), hello.end());
  expected.push_back(2);
  expected.insert(expected.end(), hello.begin(), hello.end());
  CHECK(tok.Encode("<s>Once</s>Once", false, true) == expected);
  // Without parse_special "<s>" is text.
  const Ids plain = tok.Encode("<s>", false, false);
  CHECK(plain != Ids{1});
  CHECK(tok.Decode(plain) == "<s>");
  // Byte fallback: "ë" is not in the 512-token vocabulary.
  const Ids e_umlaut = tok.Encode("\xC3\xAB", false, false);
  REQUIRE(e_umlaut.size() == 3);
  CHECK(tok.TokenText(e_umlaut[0]) == "\xE2\x96\x81");  // the space prefix
  CHECK(e_umlaut[1] == 198);                              // <0xC3>
  CHECK(e_umlaut[2] == 174);                              // <0xAB>
  CHECK(tok.TokenToPiece(13) == "\n");
  CHECK(tok.TokenToPiece(1).empty());
  CHECK(tok.TokenToPiece(1, true) == "<s>");
  CHECK(tok.TokenToPiece(-1).empty());
  CHECK(tok.TokenToPiece(512).empty());
  CHECK(tok.TokenText(512).empty());
}

TEST_CASE("byte-level BPE pieces are raw bytes", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadVocab(dir, "gpt-2");
  const Tokenizer& tok = *v.tok;
  const Ids ids = tok.Encode(" Hello", false, false);
  REQUIRE(ids.size() == 1);
  CHECK(tok.TokenText(ids[0]) == "\xC4\xA0Hello");  // "ĠHello"
  CHECK(tok.TokenToPiece(ids[0]) == " Hello");
  // An emoji spelled in byte tokens decodes back to its UTF-8.
  const Ids llama = tok.Encode("\xF0\x9F\xA6\x99", false, false);
  CHECK(llama.size() > 1);
  CHECK(tok.Decode(llama) == "\xF0\x9F\xA6\x99");
}

TEST_CASE("WPM adds [CLS] and [SEP] with add_special", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadVocab(dir, "bert-bge");
  const Tokenizer& tok = *v.tok;
  CHECK(tok.kind() == TokenizerKind::kWpm);
  const Ids plain = tok.Encode("Hello world", false, false);
  Ids with = {101};
  with.insert(with.end(), plain.begin(), plain.end());
  with.push_back(102);
  CHECK(tok.Encode("Hello world", true, false) == with);
  CHECK(tok.Decode(plain) == " hello world");  // lowercased, word pieces spaced
  CHECK(tok.Encode("[CLS] hi", false, true).front() == 101);
}

TEST_CASE("end of generation comes from metadata and token texts", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded llama3 = LoadVocab(dir, "llama-bpe");
  CHECK(llama3.tok->IsEndOfGeneration(128001));  // eos
  CHECK(llama3.tok->IsEndOfGeneration(128009));  // <|eot_id|>
  CHECK_FALSE(llama3.tok->IsEndOfGeneration(128000));
  CHECK_FALSE(llama3.tok->IsEndOfGeneration(0));
  CHECK_FALSE(llama3.tok->IsEndOfGeneration(-1));

  tokenizer_test::Loaded qwen = LoadVocab(dir, "qwen2");
  CHECK(qwen.tok->eos() == 151645);
  CHECK(qwen.tok->IsEndOfGeneration(151645));  // <|im_end|>
  CHECK(qwen.tok->IsEndOfGeneration(151643));  // <|endoftext|>
  CHECK_FALSE(qwen.tok->IsEndOfGeneration(151644));
  CHECK_FALSE(qwen.tok->add_bos());
  CHECK(qwen.tok->Encode("hi", true, false) == qwen.tok->Encode("hi", false, false));

  tokenizer_test::Loaded spm = LoadVocab(dir, "tiny-tok512-spm");
  CHECK(spm.tok->IsEndOfGeneration(2));
  CHECK_FALSE(spm.tok->IsEndOfGeneration(1));
  CHECK(spm.tok->pre().empty());
}

TEST_CASE("Phi-3 special tokens swallow the whitespace after them", "[tokenizer][testdata]") {
  REQUIRE_TESTDATA(dir);
  tokenizer_test::Loaded v = LoadVocab(dir, "phi-3");
  const Tokenizer& tok = *v.tok;
  REQUIRE(tok.TokenText(32010) == "<|user|>");
  // llama.cpp marks Phi-3's special tokens RSTRIP (by model name), so the
  // newline after <|user|> disappears and "Hi" gets the SPM space prefix.
  Ids expected = {32010};
  const Ids hi = tok.Encode("Hi", false, false);
  expected.insert(expected.end(), hi.begin(), hi.end());
  CHECK(tok.Encode("<|user|>\n  Hi", false, true) == expected);
  // <s> is exempt from RSTRIP.
  CHECK(tok.Encode("<s> Hi", false, true) != Ids({1, hi[0]}));
  CHECK(tok.IsEndOfGeneration(32007));  // <|end|>
  CHECK(tok.IsEndOfGeneration(32000));  // eos <|endoftext|>
}
