// Closed blocks as self-contained, immutable byte blocks (for checkpoints).
//
// A closed block is one layer's `block` consecutive positions, all KV
// heads: the index entries of its units, (optionally) its summary rows and
// the cold payload. Once closed it never changes (Truncate may drop it), so
// a checkpoint writes each block exactly once. The hot part (header, index,
// summary) comes first, so a resume reads only that prefix and leaves the
// payload where it lies (kv_block.h). Format, version 2, little-endian:
//    0  char[8] "LHKVBLK2"
//    8  u32 layer          12  u32 head_dim
//   16  i64 first_pos
//   24  u16 tokens (block) 26  u16 unit        28  u16 n_head_kv
//   30  u8  bits           31  u8  index_bits  32  u8 has_summary  33..39 zero
//   40  index    n_head_kv x units x (UnitMeta (4 bytes) + EnvBytes(d, index_bits))
//       summary  n_head_kv x (mean K fp16 [d], mean V fp16 [d]) if has_summary
//   --- end of the hot part ---
//       payload  n_head_kv x ColdLayout::head_bytes()
// Integrity (CRCs) and the live state (sinks, ring, staging, n_positions)
// are the session store's concern.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "engine/kv/kv_block.h"
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

  size_t hot_bytes() const;   // header, index, summary
  size_t cold_bytes() const;  // the payload
};

// Hot and cold bytes of every closed block of this layer.
size_t ClosedBlockHotBytes(const LayerStore& layer);
size_t ClosedBlockColdBytes(const LayerStore& layer);

// Writes closed block b of `layer` to out. Reads the payload through
// LayerStore::cold_block, so a restored payload that fails its check is
// written as zeros and the layer's fault() says so.
void ExportClosedBlock(const LayerStore& layer, int64_t b, KvBlock* out);

// Parses and checks a hot part's header against the sizes of the hot part
// and the payload; Corruption on any mismatch (bad magic, version, sizes,
// parameters out of range).
base::Result<ClosedBlockHeader> ParseClosedBlock(std::span<const uint8_t> hot, size_t cold_bytes);

}  // namespace engine::kv
