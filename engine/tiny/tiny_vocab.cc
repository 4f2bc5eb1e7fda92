#include "engine/tiny/tiny_vocab.h"

#include <map>
#include <unordered_map>

namespace engine::tiny {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// GPT-2's byte order: the printable bytes keep their code point, in three
// ranges, and the other 68 bytes map to U+0100.. in byte order.
std::array<uint8_t, 256> ByteOrder() {
  std::array<uint8_t, 256> order{};
  int n = 0;
  auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
  for (int b = 0; b < 256; ++b) {
    if (printable(b)) order[static_cast<size_t>(n++)] = static_cast<uint8_t>(b);
  }
  for (int b = 0; b < 256; ++b) {
    if (!printable(b)) order[static_cast<size_t>(n++)] = static_cast<uint8_t>(b);
  }
  return order;
}

std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else {  // every code point here is below U+0800
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

// Splits text the way GPT-2's pre-tokenizer does on ASCII: words with one
// optional leading space, digit runs, punctuation runs, and whitespace runs
// that leave their last space to the next word.
std::vector<std::string_view> PreTokenize(std::string_view text) {
  std::vector<std::string_view> pieces;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    if (IsSpace(text[i])) {
      size_t j = i;
      while (j < text.size() && IsSpace(text[j])) ++j;
      const bool space_joins_next = j < text.size() && text[j - 1] == ' ';
      if (space_joins_next && j - i == 1) {
        i = j;  // a lone space starts the next word
      } else {
        const size_t end = space_joins_next ? j - 1 : j;
        pieces.push_back(text.substr(i, end - i));
        i = end;
        continue;
      }
      start = i - 1;
    }
    auto same_class = [&](char c) {
      if (IsLetter(text[i])) return IsLetter(c);
      if (IsDigit(text[i])) return IsDigit(c);
      return !IsSpace(c) && !IsLetter(c) && !IsDigit(c);
    };
    size_t j = i + 1;
    while (j < text.size() && same_class(text[j])) ++j;
    pieces.push_back(text.substr(start, j - start));
    i = j;
  }
  return pieces;
}

struct Word {
  std::vector<int32_t> symbols;  // token ids
  int64_t count = 0;
};

uint64_t PairKey(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

// Learns merges until the vocabulary holds `target` tokens or no pair is
// left. Appends to tokens/merges.
void LearnMerges(size_t target, TinyVocab* vocab, const std::array<int32_t, 256>& id_of_byte) {
  std::map<std::string_view, int64_t> piece_counts;  // ordered: deterministic word order
  for (std::string_view piece : PreTokenize(TinyTrainingText())) ++piece_counts[piece];
  std::vector<Word> words;
  for (const auto& [piece, count] : piece_counts) {
    Word w;
    w.count = count;
    for (char c : piece) w.symbols.push_back(id_of_byte[static_cast<uint8_t>(c)]);
    words.push_back(std::move(w));
  }
  std::unordered_map<std::string, int32_t> id_of_text;
  for (size_t id = 0; id < vocab->tokens.size(); ++id) id_of_text[vocab->tokens[id]] = static_cast<int32_t>(id);

  std::unordered_map<uint64_t, int64_t> pair_counts;
  while (vocab->tokens.size() < target) {
    pair_counts.clear();
    for (const Word& w : words) {
      for (size_t k = 0; k + 1 < w.symbols.size(); ++k) pair_counts[PairKey(w.symbols[k], w.symbols[k + 1])] += w.count;
    }
    if (pair_counts.empty()) return;
    // Most frequent pair; ties go to the smallest (left, right) text pair,
    // so the result does not depend on hash order.
    uint64_t best = 0;
    int64_t best_count = -1;
    for (const auto& [key, count] : pair_counts) {
      const std::string& l = vocab->tokens[key >> 32];
      const std::string& r = vocab->tokens[key & 0xffffffffu];
      bool better = count > best_count;
      if (count == best_count) {
        const std::string& bl = vocab->tokens[best >> 32];
        const std::string& br = vocab->tokens[best & 0xffffffffu];
        better = l < bl || (l == bl && r < br);
      }
      if (better) {
        best = key;
        best_count = count;
      }
    }
    const int32_t a = static_cast<int32_t>(best >> 32);
    const int32_t b = static_cast<int32_t>(best & 0xffffffffu);
    std::string merged = vocab->tokens[static_cast<size_t>(a)] + vocab->tokens[static_cast<size_t>(b)];
    vocab->merges.push_back(vocab->tokens[static_cast<size_t>(a)] + " " + vocab->tokens[static_cast<size_t>(b)]);
    int32_t merged_id;
    if (auto it = id_of_text.find(merged); it != id_of_text.end()) {
      merged_id = it->second;  // the same text reached by another split
    } else {
      merged_id = static_cast<int32_t>(vocab->tokens.size());
      id_of_text[merged] = merged_id;
      vocab->tokens.push_back(std::move(merged));
      vocab->token_types.push_back(static_cast<int32_t>(TokenType::kNormal));
    }
    for (Word& w : words) {
      std::vector<int32_t> out;
      out.reserve(w.symbols.size());
      for (size_t k = 0; k < w.symbols.size(); ++k) {
        if (k + 1 < w.symbols.size() && w.symbols[k] == a && w.symbols[k + 1] == b) {
          out.push_back(merged_id);
          ++k;
        } else {
          out.push_back(w.symbols[k]);
        }
      }
      w.symbols = std::move(out);
    }
  }
}

}  // namespace

std::string ByteToUnicode(uint8_t byte) {
  static const std::array<uint8_t, 256> order = ByteOrder();
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] != byte) continue;
    const bool printable = i < 188;  // the first 188 entries keep their code point
    return Utf8(printable ? byte : static_cast<uint32_t>(256 + (i - 188)));
  }
  return std::string();  // unreachable: every byte is in the table
}

base::Result<TinyVocab> BuildTinyVocab(int64_t n_vocab) {
  if (n_vocab < kTinyMinVocab || n_vocab > (int64_t{1} << 24)) {
    return base::InvalidArgument("vocabulary size " + std::to_string(n_vocab) + " must be between " +
                                 std::to_string(kTinyMinVocab) + " (256 bytes + " +
                                 std::to_string(kTinyControlTokens.size()) + " control tokens) and 16777216");
  }
  TinyVocab vocab;
  const std::array<uint8_t, 256> order = ByteOrder();
  std::array<int32_t, 256> id_of_byte{};
  for (size_t i = 0; i < order.size(); ++i) {
    id_of_byte[order[i]] = static_cast<int32_t>(i);
    vocab.tokens.push_back(ByteToUnicode(order[i]));
    vocab.token_types.push_back(static_cast<int32_t>(TokenType::kNormal));
  }
  const size_t n_regular = static_cast<size_t>(n_vocab) - kTinyControlTokens.size();
  LearnMerges(n_regular, &vocab, id_of_byte);

  vocab.bos_id = static_cast<int32_t>(vocab.tokens.size());
  vocab.eos_id = vocab.bos_id + 1;
  for (std::string_view text : kTinyControlTokens) {
    const bool tool_tag = text.find("tool_call") != std::string_view::npos;
    vocab.tokens.emplace_back(text);
    vocab.token_types.push_back(static_cast<int32_t>(tool_tag ? TokenType::kUserDefined : TokenType::kControl));
  }
  while (vocab.tokens.size() < static_cast<size_t>(n_vocab)) {
    vocab.tokens.push_back("[PAD" + std::to_string(vocab.tokens.size()) + "]");
    vocab.token_types.push_back(static_cast<int32_t>(TokenType::kUnused));
  }
  return vocab;
}

}  // namespace engine::tiny
