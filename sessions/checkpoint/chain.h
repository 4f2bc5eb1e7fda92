// A checkpoint's full state, assembled from its parent chain.
//
// Each checkpoint stores only its delta: the tokens after history_base and
// the (layer, index) -> block mappings it changed. LoadChain walks parent
// links from the checkpoint to the root (through fork points into other
// sessions' checkpoints) and applies the deltas root-first, so later
// mappings override earlier ones.
//
// Deltas live in segment records (schema 4, delta.h), which the chain maps
// and reads in place: a block costs 8 bytes here until someone asks for its
// entry. Checkpoints written by schema 2 and 3 (mapping rows, runs and
// token blobs in SQLite) are converted into the same packed entries.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sessions/blocks/block_key.h"
#include "sessions/blocks/segment.h"
#include "sessions/checkpoint/delta.h"
#include "sessions/checkpoint/live_file.h"
#include "sessions/db/sqlite.h"
#include "sessions/store.h"

namespace sessions::checkpoint {

// Entry `entry` of the chain's run `run`.
struct ChainBlock {
  static constexpr uint32_t kAbsent = UINT32_MAX;
  uint32_t run = kAbsent;
  uint32_t entry = 0;
  bool present() const { return run != kAbsent; }
};

// A mapped block, its file resolved to an index into Chain::files. A
// hot_length above length marks a block stored before hot/cold splits.
using ChainEntry = DeltaEntry;

class Chain {
 public:
  int64_t checkpoint_id = 0;
  std::string session_id;
  int64_t seq = 0;
  int64_t n_past = 0;
  LiveFileRef live;
  SamplerState sampler;
  std::vector<std::string> files;  // segment files, relative to the data dir

  // The block at (layer, index); nullptr when the chain maps none.
  const ChainBlock* Find(int layer, int64_t index) const {
    if (layer < 0 || index < 0 || static_cast<size_t>(layer) >= blocks_.size()) return nullptr;
    const auto& per_layer = blocks_[static_cast<size_t>(layer)];
    if (static_cast<size_t>(index) >= per_layer.size() || !per_layer[static_cast<size_t>(index)].present()) {
      return nullptr;
    }
    return &per_layer[static_cast<size_t>(index)];
  }
  ChainEntry Entry(const ChainBlock& b) const;
  blocks::BlockLocation Location(const ChainBlock& b) const;
  int layers() const { return static_cast<int>(blocks_.size()); }
  int64_t blocks_in(int layer) const { return static_cast<int64_t>(blocks_[static_cast<size_t>(layer)].size()); }

  // The whole token history, decoded from the deltas (LoadChain checked
  // that they fit together).
  std::vector<int32_t> History() const;

 private:
  friend class ChainBuilder;
  struct Run {
    std::string_view entries;  // kDeltaEntryBytes each
    uint32_t file_map = 0;     // file_maps_[file_map][entry.file] is the index in `files`
  };
  struct Tokens {
    int64_t base = 0;  // tokens kept from the parent's history
    std::string_view bytes;
  };
  std::vector<Run> runs_;
  std::vector<std::vector<uint32_t>> file_maps_;
  std::vector<Tokens> tokens_;                    // root first
  std::vector<std::vector<ChainBlock>> blocks_;   // [layer][index]
  std::deque<std::string> owned_;                 // bytes converted from older rows
  std::vector<std::shared_ptr<const base::MappedFile>> mapped_;  // keeps record views valid
};

// `reader` maps the segment files holding the deltas; the caller may reuse
// it (and its mappings) to read the blocks.
base::Result<Chain> LoadChain(db::Db* db, blocks::SegmentReader* reader, int64_t checkpoint_id);

// Ids of `checkpoint_id` and all its ancestors.
base::Result<std::vector<int64_t>> ChainIds(db::Db* db, int64_t checkpoint_id);

// Encodings of the row blobs.
std::string EncodeTokens(std::span<const int32_t> tokens);
bool DecodeTokens(std::string_view bytes, std::vector<int32_t>* out);
std::string EncodeSampler(const SamplerState& s);
bool DecodeSampler(std::string_view bytes, SamplerState* s);

}  // namespace sessions::checkpoint
