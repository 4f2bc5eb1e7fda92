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

struct ChainBlock {
  bool present = false;
  blocks::BlockKey key;
  blocks::BlockLocation location;
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
