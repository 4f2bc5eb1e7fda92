// The built-in vocabulary of `longhaul model tiny`: a small byte-level BPE
// (llama.cpp's "gpt2" tokenizer model) that needs no external file.
//
// Layout, by token id:
//   0..255    the 256 bytes, as GPT-2's bytes_to_unicode characters, in
//             that table's order ('!' = 0), like the testdata tiny vocabs;
//   256..     merges learned by standard BPE from a built-in English text
//             (most frequent pair first, ties to the smallest pair), in
//             merge order;
//   then      the control tokens of kTinyControlTokens;
//   then      "[PAD<id>]" unused tokens when more ids are asked for than the
//             text yields merges.
// Everything is a pure function of the requested size: same size, same
// vocabulary, byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace engine::tiny {

// llama.cpp's token types (LLAMA_TOKEN_TYPE_*).
enum class TokenType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Chat and tool-call markers, in id order after the merges. The first two
// are BOS and EOS; the tool-call tags are user-defined (matched in plain
// text, as Qwen's tokenizer does), the rest are control tokens.
inline constexpr std::array<std::string_view, 6> kTinyControlTokens = {
    "<|bos|>", "<|eos|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"};

struct TinyVocab {
  std::vector<std::string> tokens;     // [n_vocab] token text (byte-level form)
  std::vector<int32_t> token_types;    // [n_vocab] TokenType values
  std::vector<std::string> merges;     // [n_merges] "left right", rank order
  int32_t bos_id = 0;
  int32_t eos_id = 0;
};

// The fewest tokens a built-in vocabulary can have: bytes plus controls.
inline constexpr int64_t kTinyMinVocab = 256 + static_cast<int64_t>(kTinyControlTokens.size());

// Builds a vocabulary of exactly n_vocab tokens (n_vocab >= kTinyMinVocab).
base::Result<TinyVocab> BuildTinyVocab(int64_t n_vocab);

// GPT-2's bytes_to_unicode: the printable character standing for `byte`,
// UTF-8 encoded.
std::string ByteToUnicode(uint8_t byte);

// The built-in English text the merges are learned from.
std::string_view TinyTrainingText();

// A ChatML chat template matching the control tokens above.
std::string_view TinyChatTemplate();

}  // namespace engine::tiny
