// The bytes each token decodes to (llama.cpp's token_to_piece with
// special = true), computed once per vocabulary.
#include <string>

#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocab.h"

namespace engine::tokenizer_internal {
namespace {

// "<0xAB>" -> 0xAB; -1 when the text is not of that form.
int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(text[3]), lo = hex(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string UnescapeSpaces(std::string_view text) {
  constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, kSpace.size()) == kSpace) {
      out += ' ';
      i += kSpace.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

// Maps each GPT-2 byte character back to its byte. llama.cpp emits an
// "[UNK_BYTE_...]" marker for characters outside the table; we keep their
// UTF-8 instead, which only matters for malformed vocabularies.
std::string DecodeGpt2Bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t cp = unicode::DecodeOneUtf8(text, &pos);
    const int byte = ByteFromGpt2Char(cp);
    if (byte >= 0) {
      out += static_cast<char>(byte);
    } else {
      unicode::AppendUtf8(cp, &out);
    }
  }
  return out;
}

std::string PieceOf(const Vocab& v, int32_t id) {
  const uint32_t attr = v.attr[id];
  const std::string& text = v.text[id];
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
  if (attr & kAttrNormal) return v.kind == TokenizerKind::kBpe ? DecodeGpt2Bytes(text) : UnescapeSpaces(text);
  if (attr & kAttrByte) {
    const int byte = ParseByteToken(text);
    return byte < 0 ? text : std::string(1, static_cast<char>(byte));
  }
  return {};  // unused and undefined tokens decode to nothing
}

}  // namespace

void BuildPieces(Vocab* vocab) {
  vocab->piece.resize(vocab->text.size());
  for (int32_t id = 0; id < vocab->n_vocab(); ++id) vocab->piece[id] = PieceOf(*vocab, id);
}

}  // namespace engine::tokenizer_internal
