// Content addresses of closed KV blocks.
//
// A block's bytes are a function of the model, the KV policy (and its block
// size), the layer, the block's index and every token up to the block's
// end (attention is causal). Its key hashes exactly those, so two sessions
// that share a token prefix (a fork, or the same system prompt) share the
// block, and any change to an earlier token changes every later key.
//
// The token prefix enters through a chain: prefix[i] = H(prefix[i-1],
// tokens of block i), so keys for new blocks cost O(new tokens).
//
// Threading: a BlockKeyer is used by one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"

namespace sessions::blocks {

using BlockKey = base::Hash128Value;

// 16 bytes, low word first, little-endian: the form stored in SQLite.
std::string KeyToBytes(const BlockKey& key);
// False unless `bytes` is 16 bytes long.
bool KeyFromBytes(std::string_view bytes, BlockKey* key);

class BlockKeyer {
 public:
  BlockKeyer(std::string_view model_fingerprint, std::string_view policy_text, int64_t block_tokens);

  // Brings the prefix chain up to date with `history`, whose first
  // `unchanged_tokens` tokens are the same as at the previous call.
  void Update(std::span<const int32_t> history, int64_t unchanged_tokens);

  // Blocks whose whole token range the history covers.
  int64_t complete_blocks() const { return static_cast<int64_t>(prefix_.size()); }
  // Key of block `index` of `layer`; index < complete_blocks().
  BlockKey Key(int layer, int64_t index) const;
  int64_t block_tokens() const { return block_tokens_; }

 private:
  base::Hash128Value scope_;
  int64_t block_tokens_;
  std::vector<base::Hash128Value> prefix_;
};

}  // namespace sessions::blocks
