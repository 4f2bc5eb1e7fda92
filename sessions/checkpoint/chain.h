// A checkpoint's full state, assembled from its parent chain.
//
// Each checkpoint row stores only its delta: the tokens after
// history_base and the (layer, index) -> block mappings it changed.
// LoadChain walks parent links from the checkpoint to the root (through
// fork points into other sessions' checkpoints) and applies the deltas
// root-first, so later mappings override earlier ones.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "sessions/blocks/block_key.h"
#include "sessions/blocks/segment.h"
#include "sessions/checkpoint/live_file.h"
#include "sessions/db/sqlite.h"
#include "sessions/store.h"

namespace sessions::checkpoint {

// Where a mapped block lies. Numbers only: a million-token chain has
// hundreds of thousands of these, so the segment's name is an index into
// Chain::files rather than a string per block.
struct ChainBlock {
  bool present = false;
  blocks::BlockKey key;
  uint32_t file = 0;  // Chain::files[file]
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc = 0;
  int64_t hot_length = -1;
  uint32_t hot_crc = 0;
  uint32_t cold_crc = 0;
};

struct Chain {
  int64_t checkpoint_id = 0;
  std::string session_id;
  int64_t seq = 0;
  int64_t n_past = 0;
  LiveFileRef live;
  SamplerState sampler;
  std::vector<int32_t> history;
  std::vector<std::vector<ChainBlock>> blocks;  // [layer][index]
  std::vector<std::string> files;               // segment files, relative to the data dir

  blocks::BlockLocation Location(const ChainBlock& b) const {
    return {files[b.file], b.offset, b.length, b.crc, b.hot_length, b.hot_crc, b.cold_crc};
  }
};

base::Result<Chain> LoadChain(db::Db* db, int64_t checkpoint_id);

// Ids of `checkpoint_id` and all its ancestors.
base::Result<std::vector<int64_t>> ChainIds(db::Db* db, int64_t checkpoint_id);

// Encodings of the row blobs.
std::string EncodeTokens(std::span<const int32_t> tokens);
bool DecodeTokens(std::string_view bytes, std::vector<int32_t>* out);
std::string EncodeSampler(const SamplerState& s);
bool DecodeSampler(std::string_view bytes, SamplerState* s);

}  // namespace sessions::checkpoint
