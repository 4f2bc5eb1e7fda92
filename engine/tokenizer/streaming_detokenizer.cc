#include "engine/tokenizer/tokenizer.h"

namespace engine {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the sequence `lead` starts and the allowed range of its second
// byte (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF);
// 0 for bytes that cannot start a sequence.
struct LeadInfo {
  int len;
  uint8_t second_lo, second_hi;
};

LeadInfo Lead(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Moves the valid UTF-8 prefix of *pending to the result, replacing each
// maximal invalid subpart with U+FFFD. An incomplete sequence at the end
// stays in *pending unless `flush`, in which case it becomes U+FFFD.
std::string TakeComplete(std::string* pending, bool flush) {
  const std::string& s = *pending;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const LeadInfo lead = Lead(static_cast<uint8_t>(s[i]));
    if (lead.len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;  // bytes of this sequence seen valid so far
    bool invalid = false;
    while (k < static_cast<size_t>(lead.len) && i + k < s.size()) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      const bool ok = k == 1 ? (c >= lead.second_lo && c <= lead.second_hi) : (c >= 0x80 && c <= 0xBF);
      if (!ok) {
        invalid = true;
        break;
      }
      ++k;
    }
    if (invalid) {
      out += kReplacement;
      i += k;
      continue;
    }
    if (k < static_cast<size_t>(lead.len)) {  // ran out of bytes: incomplete
      if (!flush) break;
      out += kReplacement;
      i = s.size();
      break;
    }
    out.append(s, i, k);
    i += k;
  }
  pending->erase(0, i);
  return out;
}

}  // namespace

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer* tok) : tok_(tok) {}

std::string StreamingDetokenizer::Push(int32_t id) {
  pending_ += tok_->TokenToPiece(id);
  return TakeComplete(&pending_, /*flush=*/false);
}

std::string StreamingDetokenizer::Flush() { return TakeComplete(&pending_, /*flush=*/true); }

}  // namespace engine
