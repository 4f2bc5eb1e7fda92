// Text <-> token ids from a GGUF file's tokenizer.ggml.* metadata.
//
// Three algorithms, each reproducing llama.cpp's tokenizer token for token:
//   kSpm  SentencePiece (`llama`): spaces -> U+2581, bigram merges by score,
//         byte fallback <0xNN>.
//   kBpe  byte-level BPE (`gpt2`): pre-tokenizer selected by
//         tokenizer.ggml.pre, then merges by rank.
//   kWpm  BERT WordPiece (`bert`): lowercase, accent strip, longest match.
//
// Threading: a Tokenizer is immutable after FromGguf; all methods are const
// and may be called from any number of threads at once. A
// StreamingDetokenizer belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/gguf/gguf.h"

namespace engine {

enum class TokenizerKind { kSpm, kBpe, kWpm };

namespace tokenizer_internal {
struct Vocab;
}

class Tokenizer {
 public:
  // Reads everything it needs from `gguf`; the result does not refer to it.
  // Missing or mistyped keys, malformed merges, out-of-range special ids
  // and unknown tokenizer.ggml.model / tokenizer.ggml.pre values are errors
  // that name the key.
  static base::Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& gguf);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: BOS/EOS as tokenizer.ggml.add_bos_token / add_eos_token say
  // (with llama.cpp's per-model defaults); WPM adds [CLS] ... [SEP].
  // parse_special: the texts of control tokens in `text` become those
  // tokens. User-defined tokens are always matched, as in llama.cpp.
  // Invalid UTF-8 never fails: bad bytes are handled as llama.cpp does.
  // Requires text.size() < kMaxEncodeBytes (1 GiB); tokenize larger inputs
  // in pieces.
  static constexpr size_t kMaxEncodeBytes = size_t{1} << 30;
  std::vector<int32_t> Encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes token `id` stands for: byte-level BPE characters decoded,
  // SPM U+2581 -> ' ', <0xAB> -> the byte 0xAB. Control and unknown tokens
  // give "" unless render_special. Out-of-range ids give "".
  std::string TokenToPiece(int32_t id, bool render_special = false) const;

  // Concatenated pieces (no special tokens rendered). When the vocabulary
  // adds a space prefix (SPM), one leading space is removed from the first
  // piece that has any text, so Decode(Encode(s, ...)) == s for ordinary
  // text.
  // Unlike llama.cpp's detokenizer, no clean_up_tokenization_spaces pass
  // is applied (it would corrupt code such as "a .b").
  std::string Decode(const std::vector<int32_t>& ids) const;

  int32_t n_vocab() const;
  int32_t bos() const;  // -1 when absent
  int32_t eos() const;  // -1 when absent
  bool IsEndOfGeneration(int32_t id) const;  // eos, eot, eom, ... from metadata and token texts
  bool IsControl(int32_t id) const;
  std::string_view TokenText(int32_t id) const;  // raw vocab entry; "" when out of range
  TokenizerKind kind() const;
  std::string_view pre() const;  // tokenizer.ggml.pre as given ("" when absent)
  bool add_bos() const;

 private:
  explicit Tokenizer(std::unique_ptr<const tokenizer_internal::Vocab> vocab);
  std::unique_ptr<const tokenizer_internal::Vocab> vocab_;
};

// Streams decoded text safely: the bytes of an incomplete UTF-8 sequence
// are held back until the sequence completes. Every string returned is
// valid UTF-8; bytes that can never form a valid sequence come out as
// U+FFFD. `tok` must outlive this object.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer* tok);
  std::string Push(int32_t id);  // text that is now complete
  std::string Flush();           // whatever is left, invalid bytes as U+FFFD

 private:
  const Tokenizer* tok_;
  std::string pending_;  // at most 3 bytes: an incomplete sequence
};

}  // namespace engine
