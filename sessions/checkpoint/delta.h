// A checkpoint's delta: what it adds to its parent's state, stored as one
// record in the writer's segment file (schema version 4).
//
// The checkpoint's row points at the record (segment, offset, length,
// CRC32C). The record holds the tokens after the row's history_base and
// the (layer, index) -> block mappings the checkpoint changed. Each entry
// names its block's file through the record's own file table, so a record
// depends on no SQLite id. A resume maps the segment (the same file its
// blocks mostly live in) and reads the entries in place: no SQLite blob,
// no copy, no row per block. Records are immutable: gc, which moves blocks
// when it compacts a segment, writes a patched copy of every record that
// names the segment and re-points its row.
//
// Layout, little-endian:
//   "LHD1"
//   u32 file count; per file: u16 length, bytes (relative to the data dir)
//   u64 token count; i32 x count
//   u32 run count; per run: u32 layer, u64 first index, u32 entry count,
//     then kDeltaEntryBytes x count:
//     key (16) | u32 file | u64 offset | u32 length | u32 crc |
//     u32 hot length | u32 hot crc | u32 cold crc
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sessions/blocks/block_key.h"
#include "sessions/blocks/segment.h"

namespace sessions::checkpoint {

inline constexpr size_t kDeltaEntryBytes = 16 + 4 + 8 + 4 + 4 + 4 + 4 + 4;

struct DeltaEntry {
  blocks::BlockKey key;
  uint32_t file = 0;  // index into the record's file table
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t crc = 0;
  uint32_t hot_length = 0;
  uint32_t hot_crc = 0;
  uint32_t cold_crc = 0;
};

// Entry `i` of a run's packed entries; the caller checked the bounds.
DeltaEntry DeltaEntryAt(std::string_view entries, size_t i);
// Appends `e` packed (kDeltaEntryBytes).
void AppendDeltaEntry(std::string* out, const DeltaEntry& e);

// A parsed record: views into the bytes it was parsed from.
struct DeltaView {
  struct Run {
    uint32_t layer = 0;
    uint64_t first = 0;
    std::string_view entries;  // count() x kDeltaEntryBytes
    size_t count() const { return entries.size() / kDeltaEntryBytes; }
  };
  std::vector<std::string_view> files;
  std::string_view tokens;  // 4 bytes per token
  std::vector<Run> runs;
  size_t token_count() const { return tokens.size() / 4; }
};

// Checks the whole structure (counts, lengths, every entry's file index)
// so users can index without further checks. Corruption saying what is
// wrong, without naming the record: the caller knows where it came from.
base::Result<DeltaView> ParseDelta(std::string_view bytes);

// A record being built (by a checkpoint) or patched (by gc).
struct DeltaData {
  struct Run {
    uint32_t layer = 0;
    uint64_t first = 0;
    std::vector<DeltaEntry> entries;
  };
  std::vector<std::string> files;
  std::vector<int32_t> tokens;
  std::vector<Run> runs;

  // Appends the mapping (layer, index) -> the block at `location`, joining
  // the last run when it continues it. InvalidArgument for a location a
  // record cannot hold (no hot/cold split, or a length over 4 GiB).
  base::Status Add(int layer, int64_t index, const blocks::BlockKey& key, const blocks::BlockLocation& location);
  // Index of `file` in the file table, adding it when new.
  uint32_t FileIndex(std::string_view file);
};

DeltaData ToData(const DeltaView& view);
std::string EncodeDelta(const DeltaData& data);

// The location an entry describes, its file resolved through `files`.
blocks::BlockLocation LocationOf(const DeltaEntry& e, std::string_view file);

}  // namespace sessions::checkpoint
