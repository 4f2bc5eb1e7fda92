// Closed KV blocks as they cross the checkpoint seam (engine.h, and the
// caches behind it).
//
// A block has a hot part (what every resume loads: its header, selection
// index entries and summaries) and a cold payload (quantized K/V that
// attention reads only for the units it selects). A resume copies the hot
// part and points at the cold payload where the fetcher keeps it (an mmap'd
// segment file), so its cost follows the hot set, not the session length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/hash.h"
#include "base/status.h"

namespace engine {

// A block as exported: the hot part is bytes[0, hot_bytes), the cold
// payload the rest.
struct KvBlock {
  std::string bytes;
  size_t hot_bytes = 0;

  std::string_view hot() const { return std::string_view(bytes).substr(0, hot_bytes); }
  std::string_view cold() const { return std::string_view(bytes).substr(hot_bytes); }
  bool operator==(const KvBlock&) const = default;
};

// A block as a fetcher hands it back. The views stay valid while
// `keep_alive` lives; the cache then reads both in place. With no
// keep_alive they are valid only during the fetch call, and the cache
// copies them. Corrupt bytes are never used: the cache checks `cold`
// against `cold_crc` (base::Crc32c) the first time it reads it, and `hot`
// against `hot_crc` when one is given (a fetcher that verified `hot` itself
// leaves it empty) before its first use. A resume therefore touches
// neither part of a block: a tiered cache materializes a layer's selection
// index on that layer's first use (Store, Attend, Truncate, ExportBlock),
// and a failed check there fails the Eval that needed it (fault()).
struct KvBlockView {
  std::string_view hot;
  std::string_view cold;
  uint32_t cold_crc = 0;
  std::shared_ptr<const void> keep_alive;
  std::optional<uint32_t> hot_crc;
};

// Fetches closed blocks [first, first + out.size()) of `layer` during a
// restore: the bytes the exporting cache's ExportBlock produced. A restore
// asks for each layer's blocks in a few large ranges, so a million-token
// one makes dozens of calls, not one per block.
using KvBlockFetcher = std::function<base::Status(int layer, int64_t first, std::span<KvBlockView> out)>;

// A fetcher from one that returns a single block (tests, small caches).
using KvSingleBlockFetcher = std::function<base::Result<KvBlockView>(int layer, int64_t index)>;
inline KvBlockFetcher FetchEach(KvSingleBlockFetcher one) {
  return [one = std::move(one)](int layer, int64_t first, std::span<KvBlockView> out) -> base::Status {
    for (size_t i = 0; i < out.size(); ++i) {
      ASSIGN_OR_RETURN(out[i], one(layer, first + static_cast<int64_t>(i)));
    }
    return base::Status::Ok();
  };
}

// Block `index` of `layer` through a range fetcher.
inline base::Result<KvBlockView> FetchOne(const KvBlockFetcher& fetch, int layer, int64_t index) {
  KvBlockView view;
  RETURN_IF_ERROR(fetch(layer, index, std::span<KvBlockView>(&view, 1)));
  return view;
}

// A view of an exported block that owns nothing (for tests and in-memory
// fetchers); `block` must outlive every use of the view.
inline KvBlockView ViewOf(const KvBlock& block) {
  const std::string_view cold = block.cold();
  return KvBlockView{block.hot(), cold, base::Crc32c(cold.data(), cold.size()), nullptr, std::nullopt};
}

}  // namespace engine
