#include "tests/sessions/fake_kv.h"

#include <cstring>

namespace sessions_testing {
namespace {

void Put64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }
uint64_t Get64(std::string_view s, size_t pos) {
  uint64_t v = 0;
  std::memcpy(&v, s.data() + pos, 8);
  return v;
}

}  // namespace

FakeKv::FakeKv(FakeKvOptions options) : o_(std::move(options)) {}

int64_t FakeKv::closed_blocks(int layer) const {
  const int64_t full = n_past_ / o_.block_tokens;
  return (layer % 2 == 1 && full > 0) ? full - 1 : full;
}

int64_t FakeKv::MinClosed() const { return o_.n_layers > 1 ? closed_blocks(1) : closed_blocks(0); }

void FakeKv::Eval(std::span<const int32_t> tokens) {
  std::vector<int32_t> all = open_;
  const int64_t start = MinClosed() * o_.block_tokens;  // position of all[0]
  all.insert(all.end(), tokens.begin(), tokens.end());
  n_past_ += static_cast<int64_t>(tokens.size());
  // Extend the prefix-hash chain over newly completed blocks.
  for (int64_t b = static_cast<int64_t>(prefix_.size()); (b + 1) * o_.block_tokens <= n_past_; ++b) {
    std::string buf;
    Put64(&buf, b == 0 ? 0 : prefix_.back().low);
    Put64(&buf, b == 0 ? 0 : prefix_.back().high);
    const size_t first = static_cast<size_t>(b * o_.block_tokens - start);
    buf.append(reinterpret_cast<const char*>(all.data() + first), static_cast<size_t>(o_.block_tokens) * 4);
    prefix_.push_back(base::Hash128(buf.data(), buf.size()));
  }
  const int64_t new_start = MinClosed() * o_.block_tokens;
  open_.assign(all.begin() + (new_start - start), all.end());
}

std::string FakeKv::MakeBlock(int layer, int64_t index) const {
  std::string out = "FAKEBLK1";
  Put64(&out, static_cast<uint64_t>(layer));
  Put64(&out, static_cast<uint64_t>(index));
  const base::Hash128Value& h = prefix_[static_cast<size_t>(index)];
  Put64(&out, h.low);
  Put64(&out, h.high);
  uint64_t x = h.low ^ (static_cast<uint64_t>(layer) * 0x9e3779b97f4a7c15ull) ^ o_.salt;
  while (out.size() < o_.block_bytes) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out.push_back(static_cast<char>(x >> 56));
  }
  return out;
}

base::Result<engine::KvBlock> FakeKv::ExportBlock(int layer, int64_t index) const {
  if (layer < 0 || layer >= o_.n_layers || index < 0 || index >= closed_blocks(layer)) {
    return base::InvalidArgument("no such block");
  }
  ++exported_;
  return engine::KvBlock{MakeBlock(layer, index), kFakeHotBytes};
}

base::Result<std::string> FakeKv::ExportLiveState() const {
  std::string out = "FAKELIVE";
  Put64(&out, static_cast<uint64_t>(n_past_));
  Put64(&out, o_.policy.size());
  out += o_.policy;
  Put64(&out, open_.size());
  out.append(reinterpret_cast<const char*>(open_.data()), open_.size() * 4);
  return out;
}

base::Status FakeKv::Restore(std::string_view live, const engine::KvBlockFetcher& fetch) {
  ++restores_;
  n_past_ = 0;
  prefix_.clear();
  open_.clear();
  if (live.size() < 24 || !live.starts_with("FAKELIVE")) return base::Corruption("fake live state: bad header");
  const int64_t n_past = static_cast<int64_t>(Get64(live, 8));
  const size_t plen = Get64(live, 16);
  if (live.size() < 24 + plen + 8 || live.substr(24, plen) != o_.policy) {
    return base::InvalidArgument("fake live state: policy differs");
  }
  const size_t n_open = Get64(live, 24 + plen);
  if (live.size() != 32 + plen + n_open * 4) return base::Corruption("fake live state: bad size");
  std::vector<int32_t> open(n_open);
  std::memcpy(open.data(), live.data() + 32 + plen, n_open * 4);

  n_past_ = n_past;
  const int64_t full = n_past / o_.block_tokens;
  // Every closed block of every layer must come back byte-exact; the
  // prefix chain is recovered from layer 0's (which closes every block).
  std::vector<base::Hash128Value> prefix;
  for (int layer = 0; layer < o_.n_layers; ++layer) {
    for (int64_t i = 0; i < closed_blocks(layer); ++i) {
      auto view = engine::FetchOne(fetch, layer, i);
      if (!view.ok()) {
        n_past_ = 0;
        return view.status();
      }
      const std::string_view hot = view->hot;
      // The fake checks eagerly what the tiered cache checks on first use.
      if (view->hot_crc && base::Crc32c(hot.data(), hot.size()) != *view->hot_crc) {
        n_past_ = 0;
        return base::Corruption("fake block (layer " + std::to_string(layer) + ", block " + std::to_string(i) +
                                "): its hot part fails its CRC32C");
      }
      if (hot.size() != kFakeHotBytes || hot.size() + view->cold.size() != o_.block_bytes ||
          Get64(hot, 8) != static_cast<uint64_t>(layer) || Get64(hot, 16) != static_cast<uint64_t>(i)) {
        n_past_ = 0;
        return base::Corruption("fake block " + std::to_string(layer) + "/" + std::to_string(i) +
                                " is not the one asked for");
      }
      if (base::Crc32c(view->cold.data(), view->cold.size()) != view->cold_crc) {
        n_past_ = 0;
        return base::Corruption("fake block (layer " + std::to_string(layer) + ", block " + std::to_string(i) +
                                "): its cold part fails its CRC32C");
      }
      if (layer == 0) prefix.push_back({Get64(hot, 24), Get64(hot, 32)});
    }
  }
  if (static_cast<int64_t>(prefix.size()) != full) {
    n_past_ = 0;
    return base::Corruption("fake: prefix chain incomplete");
  }
  prefix_ = std::move(prefix);
  open_ = std::move(open);
  // Verify each block against the chain: a block from another prefix fails.
  for (int layer = 0; layer < o_.n_layers; ++layer) {
    for (int64_t i = 0; i < closed_blocks(layer); ++i) {
      auto view = engine::FetchOne(fetch, layer, i);
      if (!view.ok() || std::string(view->hot) + std::string(view->cold) != MakeBlock(layer, i)) {
        n_past_ = 0;
        return base::Corruption("fake block mismatch");
      }
    }
  }
  return base::Status::Ok();
}

std::string FakeKv::Digest() const {
  base::Hasher128 h;
  for (int layer = 0; layer < o_.n_layers; ++layer) {
    for (int64_t i = 0; i < closed_blocks(layer); ++i) h.Update(MakeBlock(layer, i));
  }
  h.Update(*ExportLiveState());
  return h.Digest().ToHex();
}

}  // namespace sessions_testing
