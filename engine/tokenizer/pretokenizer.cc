#include "engine/tokenizer/pretokenizer.h"

#include <array>
#include <string>

#include "engine/tokenizer/pretokenizer_matchers.h"
#include "engine/tokenizer/unicode.h"

namespace engine::tokenizer_internal {
namespace {

constexpr size_t kMaxDigitsLlama3 = 3;
constexpr size_t kMaxDigitsQwen2 = 1;

struct NamedSpec {
  std::string_view name;
  PreTokenizerSpec spec;
};

// The tokenizer.ggml.pre names llama.cpp maps onto the pre-tokenizers we
// implement, with the flags it sets for each.
constexpr std::array kNamedSpecs = {
    NamedSpec{"default", {PreTokenizer::kDefault}},
    NamedSpec{"llama3", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"llama-v3", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"llama-bpe", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"falcon3", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"falcon-h1", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"pixtral", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"midm-2.0", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"lfm2", {PreTokenizer::kLlama3, true, true}},
    NamedSpec{"dbrx", {PreTokenizer::kLlama3}},
    NamedSpec{"smaug-bpe", {PreTokenizer::kLlama3}},
    NamedSpec{"chatglm-bpe", {PreTokenizer::kLlama3}},
    NamedSpec{"glm4", {PreTokenizer::kLlama3}},
    NamedSpec{"deepseek-llm", {PreTokenizer::kDeepseekLlm}},
    NamedSpec{"deepseek-coder", {PreTokenizer::kDeepseekCoder}},
    NamedSpec{"deepseek-v3", {PreTokenizer::kDeepseekV3}},
    NamedSpec{"falcon", {PreTokenizer::kFalcon}},
    NamedSpec{"mpt", {PreTokenizer::kGpt2}},
    NamedSpec{"gpt-2", {PreTokenizer::kGpt2}},
    NamedSpec{"phi-2", {PreTokenizer::kGpt2}},
    NamedSpec{"jina-es", {PreTokenizer::kGpt2}},
    NamedSpec{"jina-de", {PreTokenizer::kGpt2}},
    NamedSpec{"jina-v2-es", {PreTokenizer::kGpt2}},
    NamedSpec{"jina-v2-de", {PreTokenizer::kGpt2}},
    NamedSpec{"jina-v1-en", {PreTokenizer::kGpt2}},
    NamedSpec{"jina-v2-code", {PreTokenizer::kGpt2}},
    NamedSpec{"roberta-bpe", {PreTokenizer::kGpt2}},
    NamedSpec{"gigachat", {PreTokenizer::kGpt2}},
    NamedSpec{"a.x-4.0", {PreTokenizer::kGpt2}},
    NamedSpec{"mellum", {PreTokenizer::kGpt2}},
    NamedSpec{"modern-bert", {PreTokenizer::kGpt2}},
    NamedSpec{"exaone4", {PreTokenizer::kGpt2}},
    NamedSpec{"olmo", {PreTokenizer::kGpt2}},
    NamedSpec{"jais", {PreTokenizer::kGpt2}},
    NamedSpec{"trillion", {PreTokenizer::kGpt2}},
    NamedSpec{"granite-docling", {PreTokenizer::kGpt2}},
    NamedSpec{"starcoder", {PreTokenizer::kStarcoder}},
    NamedSpec{"refact", {PreTokenizer::kStarcoder}},
    NamedSpec{"command-r", {PreTokenizer::kStarcoder}},
    NamedSpec{"smollm", {PreTokenizer::kStarcoder}},
    NamedSpec{"codeshell", {PreTokenizer::kStarcoder}},
    NamedSpec{"exaone", {PreTokenizer::kStarcoder}},
    NamedSpec{"minerva-7b", {PreTokenizer::kStarcoder}},
    NamedSpec{"mellum2", {PreTokenizer::kStarcoder}},
    NamedSpec{"qwen2", {PreTokenizer::kQwen2}},
    NamedSpec{"deepseek-r1-qwen", {PreTokenizer::kQwen2}},
    NamedSpec{"kormo", {PreTokenizer::kQwen2}},
    NamedSpec{"stablelm2", {PreTokenizer::kQwen2}},
    NamedSpec{"hunyuan", {PreTokenizer::kQwen2}},
    NamedSpec{"megrez", {PreTokenizer::kQwen2}},
    NamedSpec{"grok-2", {PreTokenizer::kQwen2}},
};

}  // namespace

std::optional<PreTokenizerSpec> LookupPreTokenizer(std::string_view name) {
  for (const NamedSpec& named : kNamedSpecs) {
    if (named.name == name) return named.spec;
  }
  return std::nullopt;
}

std::string_view KnownPreTokenizerNames() {
  static const std::string names = [] {
    std::string joined;
    for (const NamedSpec& named : kNamedSpecs) {
      if (!joined.empty()) joined += ", ";
      joined += named.name;
    }
    return joined;
  }();
  return names;
}

void PreTokenize(PreTokenizer type, const std::vector<uint32_t>& cpts, std::vector<size_t>* lengths) {
  const CodepointText text(cpts);
  std::vector<size_t> pieces = {cpts.size()};
  std::vector<size_t> next;
  auto step = [&](auto&& split) {
    next.clear();
    split(text, pieces, &next);
    pieces.swap(next);
  };
  switch (type) {
    case PreTokenizer::kGpt2:
      step(SplitGpt2);
      break;
    case PreTokenizer::kLlama3:
      step([](const CodepointText& t, const std::vector<size_t>& in, std::vector<size_t>* out) {
        SplitLlama3(t, in, kMaxDigitsLlama3, out);
      });
      break;
    case PreTokenizer::kQwen2:
      step([](const CodepointText& t, const std::vector<size_t>& in, std::vector<size_t>* out) {
        SplitLlama3(t, in, kMaxDigitsQwen2, out);
      });
      break;
    case PreTokenizer::kDeepseekLlm:
      step(SplitMatches<MatchNewline>);
      step(SplitMatches<MatchSpaceThenDeepseekLetters>);
      step(SplitMatches<MatchSpaceThenDeepseekPunct>);
      step(SplitTrailingWhitespace);
      step(SplitMatches<MatchCjkRun>);
      step(SplitMatches<MatchNumberRun>);
      break;
    case PreTokenizer::kDeepseekCoder:
      step(SplitMatches<MatchNewline>);
      step(SplitMatches<MatchSpaceThenLetters>);
      step(SplitMatches<MatchSpaceThenPunct>);
      step(SplitMatches<MatchCjkRun>);
      step(SplitMatches<MatchOneNumber>);
      break;
    case PreTokenizer::kDeepseekV3:
      step(SplitMatches<MatchUpToThreeNumbers>);
      step(SplitMatches<MatchCjkKanaRun>);
      step(SplitMatches<MatchDeepseekV3Word>);
      break;
    case PreTokenizer::kFalcon:
      step(SplitMatches<MatchPunctRunWithBacktick>);
      step(SplitGpt2);
      step(SplitMatches<MatchThreeAsciiDigits>);
      break;
    case PreTokenizer::kStarcoder:
      step(SplitMatches<MatchOneNumber>);
      step(SplitGpt2);
      break;
    case PreTokenizer::kDefault:
      step(SplitMatches<MatchPunctRun>);
      step(SplitGpt2);
      step(SplitMatches<MatchNumberRun>);
      step(SplitMatches<MatchThreeAsciiDigits>);
      break;
  }
  lengths->swap(pieces);
}

}  // namespace engine::tokenizer_internal
