// A deterministic stand-in for engine::Context behind the KvState seam,
// so the store's protocol, crash and fault tests run in milliseconds.
//
// It "evaluates" tokens by hashing them: block i of layer l is a payload
// derived from the token prefix up to the block's end (as real KV is),
// odd layers close their blocks one block later than even ones, and the
// live state carries the open tokens and the running prefix hash.
// Digest() stands in for logits: it hashes every block and the live
// state, so a resume that fetched any wrong byte gives a different one.
// A block's first kFakeHotBytes are its hot part (what it is: layer, index,
// prefix hash), the rest its cold part, which the fake checks against the
// fetcher's cold CRC at restore (it reads every byte anyway).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/hash.h"
#include "sessions/checkpoint/kv_state.h"

namespace sessions_testing {

inline constexpr size_t kFakeHotBytes = 40;

struct FakeKvOptions {
  std::string fingerprint = "f00dfeedf00dfeedf00dfeedf00dfeed";
  std::string policy = "fake:block=8";
  int n_layers = 3;
  int64_t block_tokens = 8;
  size_t block_bytes = 256;  // payload size of one block
  uint64_t salt = 0;         // changes block bytes, as another backend would
};

class FakeKv final : public sessions::internal::KvState {
 public:
  explicit FakeKv(FakeKvOptions options = {});

  void Eval(std::span<const int32_t> tokens);
  std::string Digest() const;

  std::string model_fingerprint() const override { return o_.fingerprint; }
  std::string policy_text() const override { return o_.policy; }
  int n_layers() const override { return o_.n_layers; }
  int64_t block_tokens() const override { return o_.block_tokens; }
  int64_t n_past() const override { return n_past_; }
  int64_t closed_blocks(int layer) const override;
  base::Result<engine::KvBlock> ExportBlock(int layer, int64_t index) const override;
  base::Result<std::string> ExportLiveState() const override;
  base::Status Restore(std::string_view live_state, const engine::KvBlockFetcher& fetch) override;
  // The fake only ever replaces its whole state (Restore): an edit to 0.
  engine::KvMark kv_mark() const override { return {restores_, n_past_}; }
  int64_t unchanged_since(const engine::KvMark& mark) const override {
    return mark.edits == restores_ ? std::min(mark.n_past, n_past_) : 0;
  }

  int64_t blocks_exported() const { return exported_; }

 private:
  std::string MakeBlock(int layer, int64_t index) const;
  int64_t MinClosed() const;

  FakeKvOptions o_;
  int64_t n_past_ = 0;
  std::vector<base::Hash128Value> prefix_;  // hash at each block boundary
  std::vector<int32_t> open_;               // tokens after MinClosed() blocks
  mutable int64_t exported_ = 0;
  int64_t restores_ = 0;
};

}  // namespace sessions_testing
