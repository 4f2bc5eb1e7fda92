// Closed blocks as self-contained, immutable byte blocks (for checkpoints).
//
// A closed block is one layer's `block` consecutive positions, all KV
// heads: the cold payload, the index entries of its units and (optionally)
// its summary rows. Once closed it never changes (Truncate may drop it), so
// a checkpoint writes each block exactly once. Format, version 1, little-
// endian:
//    0  char[8] "LHKVBLK1"
//    8  u32 layer          12  u32 head_dim
//   16  i64 first_pos
//   24  u16 tokens (block) 26  u16 unit        28  u16 n_head_kv
//   30  u8  bits           31  u8  index_bits  32  u8 has_summary  33..39 zero
//   40  payload  n_head_kv x ColdLayout::head_bytes()
//       index    n_head_kv x units x (UnitMeta (4 bytes) + EnvBytes(d, index_bits))
//       summary  n_head_kv x (mean K fp16 [d], mean V fp16 [d]) if has_summary
// Integrity (CRC) and the live state (sinks, ring, staging, n_positions)
// are the session store's concern.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "engine/kv/tiered/layer_store.h"

namespace engine::kv {

inline constexpr size_t kBlockHeaderBytes = 40;

struct ClosedBlockHeader {
  int layer = 0;
  int head_dim = 0;
  int64_t first_pos = 0;
  int tokens = 0;
  int unit = 0;
  int n_head_kv = 0;
  int bits = 0;
  int index_bits = 0;
  bool has_summary = false;

  // Total bytes of a block with this header.
  size_t total_bytes() const;
};

// Bytes of every closed block of this layer.
size_t ClosedBlockBytes(const LayerStore& layer);

// Writes closed block b of `layer` to out (resized to ClosedBlockBytes).
void ExportClosedBlock(const LayerStore& layer, int64_t b, std::vector<uint8_t>* out);

// Parses and checks a header against the block's size; Corruption on any
// mismatch (bad magic, version, sizes, parameters out of range).
base::Result<ClosedBlockHeader> ParseClosedBlock(std::span<const uint8_t> bytes);

}  // namespace engine::kv
