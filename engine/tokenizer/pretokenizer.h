// Byte-level BPE pre-tokenizers: split text into the pieces that BPE
// merges never cross, as llama.cpp's unicode_regex_split does for each
// tokenizer.ggml.pre (internal).
//
// llama.cpp applies a list of regexes one after the other; each one splits
// every piece left by the previous one, and the text between matches stays
// a piece of its own. The GPT-2 and Llama-3 regexes run through hand-written
// matchers there; the others run through std::regex on a "collapsed" text
// where each non-ASCII code point stands for its category. Every step here
// is a hand-written matcher with exactly those semantics (ECMAScript
// leftmost-first alternation, greedy quantifiers, backtracking where a
// pattern needs it).
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace engine::tokenizer_internal {

enum class PreTokenizer {
  kDefault,        // "default" or missing: punctuation runs, GPT-2, digits
  kGpt2,           // gpt-2, mpt, olmo, ...
  kLlama3,         // llama-bpe, llama3, dbrx, chatglm-bpe, ...: \p{N}{1,3}
  kQwen2,          // qwen2, stablelm2, ...: like Llama-3 but one digit at a time
  kDeepseekLlm,    // deepseek-llm
  kDeepseekCoder,  // deepseek-coder
  kDeepseekV3,     // deepseek-v3
  kFalcon,         // falcon
  kStarcoder,      // starcoder, refact, smollm, command-r, ...
};

// Pre-tokenizer flags that llama.cpp ties to the tokenizer.ggml.pre name.
struct PreTokenizerSpec {
  PreTokenizer type;
  bool ignore_merges = false;  // whole-token pieces skip BPE merging
  bool add_bos = false;        // default for tokenizer.ggml.add_bos_token
};

// nullopt for names this build does not know.
std::optional<PreTokenizerSpec> LookupPreTokenizer(std::string_view name);
// The names LookupPreTokenizer accepts, comma-separated (for errors).
std::string_view KnownPreTokenizerNames();

// Splits `cpts` into pieces; appends each piece's length in code points to
// `lengths` (which is cleared first). The lengths sum to cpts.size().
void PreTokenize(PreTokenizer type, const std::vector<uint32_t>& cpts, std::vector<size_t>* lengths);

}  // namespace engine::tokenizer_internal
