// Byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp's
// llm_tokenizer_bpe_session: pre-tokenize, then in each piece repeatedly
// merge the adjacent pair with the lowest merge rank (leftmost on ties).
#include <algorithm>
#include <array>
#include <deque>
#include <string>

#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocab.h"

namespace engine::tokenizer_internal {
namespace {

// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the
// other 68 bytes map to U+0100.. in byte order.
struct Gpt2ByteTable {
  std::array<uint32_t, 256> to_char{};
  std::array<std::string, 256> to_utf8;
  Gpt2ByteTable() {
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[b] = printable ? static_cast<uint32_t>(b) : next++;
      unicode::AppendUtf8(to_char[b], &to_utf8[b]);
    }
  }
};

const Gpt2ByteTable& Gpt2Bytes() {
  static const Gpt2ByteTable table;
  return table;
}

// Interns strings as symbol ids: token ids for token texts, n_vocab + k
// for the other strings merges mention.
class SymbolInterner {
 public:
  explicit SymbolInterner(Vocab* vocab) : vocab_(vocab) {}
  int32_t Intern(std::string_view s) {
    if (int32_t id = Lookup(s); id >= 0) return id;
    storage_.emplace_back(s);
    const int32_t id = vocab_->n_vocab() + static_cast<int32_t>(storage_.size() - 1);
    extra_.Insert(storage_.back(), id);
    return id;
  }
  int32_t Lookup(std::string_view s) const {
    if (int32_t id = vocab_->Find(s); id >= 0) return id;
    return extra_.Find(s);
  }

 private:
  Vocab* vocab_;
  std::deque<std::string> storage_;  // stable addresses for the views in extra_
  StringIndex extra_;
};

struct Symbol {
  int32_t id;      // symbol id, -1 when the text is in no token and no merge
  uint32_t start;  // byte offset in the piece
  uint32_t len;    // bytes; 0 once merged into its left neighbour
  int32_t prev, next;
};

struct Bigram {
  int32_t rank;
  int32_t left, right;  // symbol indices
  uint32_t len;         // bytes of left + right when queued
  int32_t result;       // symbol id of the merged pair
};

// Heap order: lowest rank on top, then leftmost.
bool BigramAfter(const Bigram& a, const Bigram& b) {
  return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
}

// Merges the pieces of one Encode call; its buffers are reused from piece
// to piece so the per-piece loop does not allocate once they have grown.
class BpeMerger {
 public:
  explicit BpeMerger(const Vocab& vocab) : vocab_(vocab), gpt2_(Gpt2Bytes()) {}

  // Appends the token ids of one piece (raw bytes).
  void Encode(std::string_view piece, std::vector<int32_t>* out) {
    if (piece.empty()) return;
    if (vocab_.ignore_merges) {
      encoded_.clear();
      for (char c : piece) encoded_ += gpt2_.to_utf8[static_cast<uint8_t>(c)];
      if (const int32_t id = vocab_.Find(encoded_); id >= 0) {
        out->push_back(id);
        return;
      }
    }
    symbols_.clear();
    const auto n = static_cast<int32_t>(piece.size());
    for (int32_t i = 0; i < n; ++i) {
      symbols_.push_back({vocab_.byte_symbol[static_cast<uint8_t>(piece[i])], static_cast<uint32_t>(i), 1, i - 1,
                          i + 1 < n ? i + 1 : -1});
    }
    heap_.clear();
    for (int32_t i = 1; i < n; ++i) QueuePair(i - 1, i);
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), BigramAfter);
      const Bigram top = heap_.back();
      heap_.pop_back();
      Symbol& left = symbols_[top.left];
      Symbol& right = symbols_[top.right];
      // Stale: one side already merged elsewhere, or the right side grew.
      if (left.len == 0 || right.len == 0 || left.len + right.len != top.len) continue;
      left.id = top.result;
      left.len += right.len;
      right.len = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = top.left;
      QueuePair(left.prev, top.left);
      QueuePair(top.left, left.next);
    }
    Emit(piece, out);
  }

 private:
  void QueuePair(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const BpeMerge* merge = vocab_.FindMerge(symbols_[left].id, symbols_[right].id);
    if (!merge) return;
    heap_.push_back({merge->rank, left, right, symbols_[left].len + symbols_[right].len, merge->result});
    std::push_heap(heap_.begin(), heap_.end(), BigramAfter);
  }

  void Emit(std::string_view piece, std::vector<int32_t>* out) const {
    for (int32_t i = 0; i != -1; i = symbols_[i].next) {
      const Symbol& s = symbols_[i];
      if (s.id >= 0 && s.id < vocab_.n_vocab()) {
        out->push_back(s.id);
        continue;
      }
      // Not a token: llama.cpp looks up each byte of the symbol's encoded
      // text as a one-byte token and drops the bytes that are none.
      for (uint32_t k = s.start; k < s.start + s.len; ++k) {
        for (char e : gpt2_.to_utf8[static_cast<uint8_t>(piece[k])]) {
          const int32_t id = vocab_.single_byte_token[static_cast<uint8_t>(e)];
          if (id >= 0) out->push_back(id);
        }
      }
    }
  }

  const Vocab& vocab_;
  const Gpt2ByteTable& gpt2_;
  std::vector<Symbol> symbols_;
  std::vector<Bigram> heap_;
  std::string encoded_;
};

}  // namespace

uint32_t ByteToGpt2Char(uint8_t byte) { return Gpt2Bytes().to_char[byte]; }

int ByteFromGpt2Char(uint32_t cp) {
  static const std::array<int16_t, 324> from_char = [] {
    std::array<int16_t, 324> table;
    table.fill(-1);
    for (int b = 0; b < 256; ++b) table[Gpt2Bytes().to_char[b]] = static_cast<int16_t>(b);
    return table;
  }();
  return cp < from_char.size() ? from_char[cp] : -1;
}

base::Status LoadBpeMerges(const GgufFile& gguf, Vocab* vocab) {
  constexpr std::string_view kKey = "tokenizer.ggml.merges";
  const GgufValue* merges = gguf.Find(kKey);
  if (!merges) return base::NotFound("metadata key '" + std::string(kKey) + "' is missing (needed for BPE)");
  if (!merges->is_array() || merges->array_type != GgufType::kString) {
    return base::InvalidArgument("metadata key '" + std::string(kKey) + "' must be an array of strings");
  }
  SymbolInterner interner(vocab);
  vocab->merges.Reserve(merges->strings.size());
  std::string joined;
  for (size_t rank = 0; rank < merges->strings.size(); ++rank) {
    const std::string_view merge = merges->strings[rank];
    // "left right"; the left part is never empty (it may itself be a space
    // character in exotic vocabularies, hence the search from 1).
    const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
    if (space == std::string_view::npos || space + 1 >= merge.size()) {
      return base::InvalidArgument(std::string(kKey) + "[" + std::to_string(rank) + "] = '" + std::string(merge) +
                                   "' is not of the form 'left right'");
    }
    const std::string_view left = merge.substr(0, space), right = merge.substr(space + 1);
    joined.assign(left);
    joined.append(right);
    const int32_t l = interner.Intern(left), r = interner.Intern(right), result = interner.Intern(joined);
    // The first occurrence of a pair keeps its rank, as in llama.cpp.
    vocab->merges.Insert(l, r, BpeMerge{static_cast<int32_t>(rank), result});
  }
  for (int b = 0; b < 256; ++b) {
    vocab->byte_symbol[b] = interner.Lookup(Gpt2Bytes().to_utf8[b]);
    const char raw = static_cast<char>(b);
    vocab->single_byte_token[b] = vocab->Find(std::string_view(&raw, 1));
  }
  return base::Status::Ok();
}

void EncodeBpe(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) {
  std::vector<uint32_t> cpts;
  unicode::DecodeUtf8(text, &cpts);
  std::vector<size_t> lengths;
  PreTokenize(vocab.pre, cpts, &lengths);

  BpeMerger merger(vocab);
  std::string piece;
  size_t start = 0;
  for (size_t len : lengths) {
    piece.clear();
    for (size_t i = start; i < start + len; ++i) unicode::AppendUtf8(cpts[i], &piece);
    start += len;
    merger.Encode(piece, out);
  }
}

}  // namespace engine::tokenizer_internal
