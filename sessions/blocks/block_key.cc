#include "sessions/blocks/block_key.h"

#include <algorithm>

namespace sessions::blocks {
namespace {

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string KeyToBytes(const BlockKey& key) {
  std::string out;
  PutU64(&out, key.low);
  PutU64(&out, key.high);
  return out;
}

bool KeyFromBytes(std::string_view bytes, BlockKey* key) {
  if (bytes.size() != 16) return false;
  key->low = GetU64(bytes.data());
  key->high = GetU64(bytes.data() + 8);
  return true;
}

BlockKeyer::BlockKeyer(std::string_view model_fingerprint, std::string_view policy_text, int64_t block_tokens)
    : block_tokens_(block_tokens) {
  // Length-prefix each field so ("ab","c") and ("a","bc") differ.
  std::string scope = "longhaul-kv-block-v1";
  PutU64(&scope, model_fingerprint.size());
  scope.append(model_fingerprint);
  PutU64(&scope, policy_text.size());
  scope.append(policy_text);
  PutU64(&scope, static_cast<uint64_t>(block_tokens));
  scope_ = base::Hash128(scope.data(), scope.size());
}

void BlockKeyer::Update(std::span<const int32_t> history, int64_t unchanged_tokens) {
  if (block_tokens_ <= 0) return;
  const int64_t keep = std::min<int64_t>(static_cast<int64_t>(prefix_.size()), unchanged_tokens / block_tokens_);
  prefix_.resize(static_cast<size_t>(keep));
  const int64_t complete = static_cast<int64_t>(history.size()) / block_tokens_;
  for (int64_t i = keep; i < complete; ++i) {
    std::string buf = i == 0 ? KeyToBytes(scope_) : KeyToBytes(prefix_.back());
    const size_t n = static_cast<size_t>(block_tokens_);
    const size_t first = static_cast<size_t>(i * block_tokens_);
    for (size_t t = 0; t < n; ++t) {
      const uint32_t v = static_cast<uint32_t>(history[first + t]);
      for (int b = 0; b < 4; ++b) buf.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
    }
    prefix_.push_back(base::Hash128(buf.data(), buf.size()));
  }
}

BlockKey BlockKeyer::Key(int layer, int64_t index) const {
  std::string buf = KeyToBytes(prefix_[static_cast<size_t>(index)]);
  PutU64(&buf, static_cast<uint64_t>(layer));
  PutU64(&buf, static_cast<uint64_t>(index));
  return base::Hash128(buf.data(), buf.size());
}

}  // namespace sessions::blocks
