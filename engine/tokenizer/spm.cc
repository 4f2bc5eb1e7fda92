// SentencePiece BPE (tokenizer.ggml.model = "llama"), as llama.cpp's
// llm_tokenizer_spm_session: start from UTF-8 characters, repeatedly merge
// the adjacent pair whose concatenation is the highest-scoring token
// (leftmost on ties), and spell what never became a token as byte tokens.
#include <algorithm>
#include <string>

#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocab.h"

namespace engine::tokenizer_internal {
namespace {

struct Symbol {
  uint32_t start;  // byte offset in the text
  uint32_t len;    // bytes; 0 once merged into its left neighbour
  int32_t prev, next;
};

struct Bigram {
  float score;
  int32_t left, right;  // symbol indices
  uint32_t len;         // bytes of left + right when queued
};

// Heap order: highest score on top, then leftmost.
bool BigramAfter(const Bigram& a, const Bigram& b) {
  return a.score < b.score || (a.score == b.score && a.left > b.left);
}

class SpmMerger {
 public:
  SpmMerger(const Vocab& vocab, std::string_view text) : vocab_(vocab), text_(text) {}

  void Encode(std::vector<int32_t>* out) {
    symbols_.reserve(text_.size());
    for (size_t offset = 0; offset < text_.size();) {
      const size_t len = std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(text_[offset])), text_.size() - offset);
      const auto index = static_cast<int32_t>(symbols_.size());
      symbols_.push_back({static_cast<uint32_t>(offset), static_cast<uint32_t>(len), index - 1,
                          offset + len == text_.size() ? -1 : index + 1});
      offset += len;
    }
    if (symbols_.empty()) return;
    heap_.reserve(symbols_.size());
    for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) QueuePair(i - 1, i);
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), BigramAfter);
      const Bigram top = heap_.back();
      heap_.pop_back();
      Symbol& left = symbols_[top.left];
      Symbol& right = symbols_[top.right];
      // Stale: one side already merged elsewhere, or the right side grew.
      if (left.len == 0 || right.len == 0 || left.len + right.len != top.len) continue;
      left.len += right.len;
      right.len = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = top.left;
      QueuePair(left.prev, top.left);
      QueuePair(top.left, left.next);
    }
    Emit(out);
  }

 private:
  void QueuePair(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const uint32_t len = symbols_[left].len + symbols_[right].len;
    const int32_t id = vocab_.Find(text_.substr(symbols_[left].start, len));
    if (id < 0) return;
    heap_.push_back({vocab_.score[id], left, right, len});
    std::push_heap(heap_.begin(), heap_.end(), BigramAfter);
  }

  void Emit(std::vector<int32_t>* out) const {
    for (int32_t i = 0; i != -1; i = symbols_[i].next) {
      const Symbol& s = symbols_[i];
      const std::string_view piece = text_.substr(s.start, s.len);
      if (const int32_t id = vocab_.Find(piece); id >= 0) {
        out->push_back(id);
        continue;
      }
      // Merged symbols are always tokens, so this is a single character
      // the vocabulary lacks: spell it in byte tokens.
      for (char c : piece) {
        const int32_t id = vocab_.byte_token[static_cast<uint8_t>(c)];
        if (id >= 0) {
          out->push_back(id);
        } else if (vocab_.unk >= 0) {
          out->push_back(vocab_.unk);
        }
      }
    }
  }

  const Vocab& vocab_;
  const std::string_view text_;
  std::vector<Symbol> symbols_;
  std::vector<Bigram> heap_;
};

}  // namespace

void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) {
  SpmMerger(vocab, text).Encode(out);
}

}  // namespace engine::tokenizer_internal
