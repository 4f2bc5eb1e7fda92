// A checkpoint's block mappings, stored as runs.
//
// A checkpoint maps (layer, index) -> block for the blocks it changed, and
// those are consecutive: a step closes blocks at the end of each layer. So
// one row per run of consecutive indices (checkpoint_block_runs) holds the
// run's entries packed in a blob, each entry carrying the block's key and
// its location. A resume then reads one row per (checkpoint, layer) instead
// of joining one row per block against the blocks table, which at a
// million tokens is most of the resume time. The blocks table stays the
// index of what is stored (sharing by key, gc); gc patches run entries when
// it moves a block.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sessions/blocks/block_key.h"

namespace sessions::checkpoint {

struct RunEntry {
  blocks::BlockKey key;
  int64_t segment_id = 0;  // segments.id
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc = 0;
  int64_t hot_length = -1;
  uint32_t hot_crc = 0;
  uint32_t cold_crc = 0;
};

inline constexpr size_t kRunEntryBytes = 16 + 8 + 8 + 8 + 4 + 8 + 4 + 4;

// Little-endian, kRunEntryBytes per entry.
std::string EncodeRunEntries(std::span<const RunEntry> entries);
// False unless `bytes` is a whole number of entries.
bool DecodeRunEntries(std::string_view bytes, std::vector<RunEntry>* out);
// Entry i of an encoded run; `bytes` must hold at least i + 1 entries.
RunEntry RunEntryAt(std::string_view bytes, size_t i);

}  // namespace sessions::checkpoint
