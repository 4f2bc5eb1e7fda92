#include "sessions/checkpoint/chain.h"

#include <bit>
#include <cstring>
#include <map>

#include "sessions/checkpoint/block_runs.h"
#include "sessions/util/bytes.h"

namespace sessions::checkpoint {
namespace {

// Ancestors-or-self with their distance from the start; depth-first order
// is not needed, every query below sorts by depth.
constexpr char kChainCte[] =
    "WITH RECURSIVE chain(id, depth) AS ("
    " SELECT ?1, 0"
    " UNION ALL"
    " SELECT c.parent_id, chain.depth + 1 FROM checkpoints c JOIN chain ON c.id = chain.id"
    " WHERE c.parent_id IS NOT NULL) ";

std::string CheckpointName(int64_t id) { return "checkpoint " + std::to_string(id); }

// The slot for (layer, idx), growing the table; Corruption when the
// numbers are absurd.
base::Result<ChainBlock*> Slot(Chain* chain, int64_t layer, int64_t idx) {
  if (layer < 0 || layer > 1'000'000 || idx < 0 || idx > (int64_t{1} << 40)) {
    return base::Corruption(CheckpointName(chain->checkpoint_id) + ": block mapping out of range");
  }
  if (chain->blocks.size() <= static_cast<size_t>(layer)) chain->blocks.resize(static_cast<size_t>(layer) + 1);
  auto& per_layer = chain->blocks[static_cast<size_t>(layer)];
  if (per_layer.size() <= static_cast<size_t>(idx)) per_layer.resize(static_cast<size_t>(idx) + 1);
  return &per_layer[static_cast<size_t>(idx)];
}

// Segment files by id, as a chain's run entries name them.
struct SegmentFiles {
  db::Stmt* lookup;                   // SELECT file FROM segments WHERE id = ?1
  std::map<int64_t, uint32_t> index;  // segment id -> index in Chain::files
  int64_t last_segment = -1;          // most entries of a run share one
  uint32_t last_file = 0;
};

base::Result<uint32_t> FileIndex(SegmentFiles* files, int64_t segment_id, int64_t checkpoint_id, Chain* chain) {
  if (segment_id == files->last_segment) return files->last_file;
  auto it = files->index.find(segment_id);
  if (it == files->index.end()) {
    files->lookup->Reset();
    files->lookup->Bind(1, segment_id);
    ASSIGN_OR_RETURN(bool found, files->lookup->Step());
    // gc re-points entries in the transaction that drops a segment, and
    // this lookup reads the snapshot of the run being decoded.
    if (!found) {
      return base::Corruption(CheckpointName(checkpoint_id) + ": its blocks name segment " +
                              std::to_string(segment_id) + ", which the store does not have");
    }
    chain->files.push_back(files->lookup->Text(0));
    it = files->index.emplace(segment_id, static_cast<uint32_t>(chain->files.size() - 1)).first;
  }
  files->last_segment = segment_id;
  files->last_file = it->second;
  return it->second;
}

// Applies one checkpoint's runs (rows of `runs`, already bound).
base::Status ApplyRunsOf(int64_t checkpoint_id, db::Stmt* runs, SegmentFiles* files, Chain* chain) {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, runs->Step());
    if (!row) return base::Status::Ok();
    const std::string_view bytes = runs->BlobView(2);
    if (bytes.size() % kRunEntryBytes != 0) return base::Corruption(CheckpointName(checkpoint_id) + ": malformed block run");
    const size_t count = bytes.size() / kRunEntryBytes;
    if (count == 0) continue;
    const int64_t first = runs->Int(1);
    if (first < 0) return base::Corruption(CheckpointName(checkpoint_id) + ": block run at index " + std::to_string(first));
    ASSIGN_OR_RETURN(ChainBlock * slots, Slot(chain, runs->Int(0), first + static_cast<int64_t>(count) - 1));
    slots -= count - 1;
    for (size_t i = 0; i < count; ++i) {
      const RunEntry e = RunEntryAt(bytes, i);
      ASSIGN_OR_RETURN(const uint32_t file, FileIndex(files, e.segment_id, checkpoint_id, chain));
      ChainBlock& b = slots[i];
      b.present = true;
      b.key = e.key;
      b.file = file;
      b.offset = e.offset;
      b.length = e.length;
      b.crc = e.crc;
      b.hot_length = e.hot_length;
      b.hot_crc = e.hot_crc;
      b.cold_crc = e.cold_crc;
    }
  }
}

// Mappings stored as runs (schema version 3), root first. They come after
// every checkpoint_blocks row of the chain: a checkpoint is always written
// after its parent, so no version-2 row can override a run.
base::Status ApplyRuns(db::Db* db, std::span<const int64_t> ids, Chain* chain) {
  // Primary-key order (layer, first_idx): no sort.
  ASSIGN_OR_RETURN(db::Stmt runs, db->Prepare("SELECT layer, first_idx, entries FROM checkpoint_block_runs"
                                              " WHERE checkpoint_id = ?1"));
  ASSIGN_OR_RETURN(db::Stmt lookup, db->Prepare("SELECT file FROM segments WHERE id = ?1"));
  SegmentFiles files{&lookup, {}, -1, 0};
  for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
    runs.Reset();
    runs.Bind(1, *id);
    RETURN_IF_ERROR(ApplyRunsOf(*id, &runs, &files, chain));
  }
  return base::Status::Ok();
}

}  // namespace

std::string EncodeTokens(std::span<const int32_t> tokens) {
  std::string out;
  out.reserve(tokens.size() * 4);
  for (int32_t t : tokens) util::PutU32(&out, static_cast<uint32_t>(t));
  return out;
}

bool DecodeTokens(std::string_view bytes, std::vector<int32_t>* out) {
  if (bytes.size() % 4 != 0) return false;
  if (bytes.empty()) return true;  // and no memcpy from a null blob
  const size_t at = out->size();
  out->resize(at + bytes.size() / 4);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out->data() + at, bytes.data(), bytes.size());  // the stored form is little-endian
  } else {
    for (size_t i = 0; i < bytes.size(); i += 4) (*out)[at + i / 4] = static_cast<int32_t>(util::GetU32(bytes, i));
  }
  return true;
}

std::string EncodeSampler(const SamplerState& s) {
  std::string out = "rng1";
  for (uint64_t w : s.rng) {
    util::PutU32(&out, static_cast<uint32_t>(w));
    util::PutU32(&out, static_cast<uint32_t>(w >> 32));
  }
  return out;
}

bool DecodeSampler(std::string_view bytes, SamplerState* s) {
  if (bytes.size() != 4 + 32 || !bytes.starts_with("rng1")) return false;
  for (size_t i = 0; i < 4; ++i) {
    const size_t pos = 4 + 8 * i;
    s->rng[i] = util::GetU32(bytes, pos) | (static_cast<uint64_t>(util::GetU32(bytes, pos + 4)) << 32);
  }
  return true;
}

base::Result<std::vector<int64_t>> ChainIds(db::Db* db, int64_t checkpoint_id) {
  ASSIGN_OR_RETURN(db::Stmt stmt, db->Prepare(std::string(kChainCte) + "SELECT id FROM chain ORDER BY depth"));
  stmt.Bind(1, checkpoint_id);
  std::vector<int64_t> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ids.push_back(stmt.Int(0));
  }
  return ids;
}

base::Result<Chain> LoadChain(db::Db* db, int64_t checkpoint_id) {
  Chain chain;
  chain.checkpoint_id = checkpoint_id;
  ASSIGN_OR_RETURN(const std::vector<int64_t> ids, ChainIds(db, checkpoint_id));  // the checkpoint first
  {
    ASSIGN_OR_RETURN(db::Stmt head,
                     db->Prepare("SELECT session_id, seq, n_past, live_file, live_bytes, live_crc, sampler"
                                 " FROM checkpoints WHERE id = ?1"));
    head.Bind(1, checkpoint_id);
    ASSIGN_OR_RETURN(bool row, head.Step());
    if (!row) return base::NotFound(CheckpointName(checkpoint_id) + " does not exist");
    chain.session_id = head.Text(0);
    chain.seq = head.Int(1);
    chain.n_past = head.Int(2);
    chain.live.file = head.Text(3);
    chain.live.bytes = static_cast<uint64_t>(head.Int(4));
    chain.live.crc = static_cast<uint32_t>(head.Int(5));
    if (!DecodeSampler(head.Blob(6), &chain.sampler)) {
      return base::Corruption(CheckpointName(checkpoint_id) + ": malformed sampler state");
    }
  }
  {
    // Token deltas, root first. One indexed read per checkpoint: a single
    // query ordered by depth would sort every row, token blobs and all,
    // through SQLite's sorter (spilling at a million tokens).
    ASSIGN_OR_RETURN(db::Stmt toks, db->Prepare("SELECT history_base, tokens FROM checkpoints WHERE id = ?1"));
    for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
      toks.Reset();
      toks.Bind(1, *id);
      ASSIGN_OR_RETURN(bool row, toks.Step());
      if (!row) return base::NotFound(CheckpointName(*id) + " (in the chain of " + CheckpointName(checkpoint_id) +
                                      ") does not exist");
      const int64_t base_len = toks.Int(0);
      if (base_len < 0 || base_len > static_cast<int64_t>(chain.history.size())) {
        return base::Corruption(CheckpointName(*id) + " keeps " + std::to_string(base_len) +
                                " tokens of a parent history of " + std::to_string(chain.history.size()));
      }
      chain.history.resize(static_cast<size_t>(base_len));
      if (!DecodeTokens(toks.BlobView(1), &chain.history)) {
        return base::Corruption(CheckpointName(*id) + ": malformed token blob");
      }
    }
  }
  if (static_cast<int64_t>(chain.history.size()) != chain.n_past) {
    return base::Corruption(CheckpointName(checkpoint_id) + " records n_past " + std::to_string(chain.n_past) +
                            " but its chain holds " + std::to_string(chain.history.size()) + " tokens");
  }
  {
    ASSIGN_OR_RETURN(db::Stmt blk, db->Prepare(std::string(kChainCte) +
                                               "SELECT cb.layer, cb.idx, cb.block_key, s.file, b.offset, b.length,"
                                               " b.crc, b.hot_length, b.hot_crc, b.cold_crc FROM chain"
                                               " JOIN checkpoint_blocks cb ON cb.checkpoint_id = chain.id"
                                               " JOIN blocks b ON b.key = cb.block_key"
                                               " JOIN segments s ON s.id = b.segment_id"
                                               " ORDER BY chain.depth DESC"));
    blk.Bind(1, checkpoint_id);
    std::map<std::string, uint32_t> legacy_files;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, blk.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(ChainBlock * slot, Slot(&chain, blk.Int(0), blk.Int(1)));
      ChainBlock& b = *slot;
      b.present = true;
      if (!blocks::KeyFromBytes(blk.Blob(2), &b.key)) {
        return base::Corruption(CheckpointName(checkpoint_id) + ": malformed block key");
      }
      const std::string file = blk.Text(3);
      auto known = legacy_files.find(file);
      if (known == legacy_files.end()) {
        chain.files.push_back(file);
        known = legacy_files.emplace(file, static_cast<uint32_t>(chain.files.size() - 1)).first;
      }
      b.file = known->second;
      b.offset = static_cast<uint64_t>(blk.Int(4));
      b.length = static_cast<uint64_t>(blk.Int(5));
      b.crc = static_cast<uint32_t>(blk.Int(6));
      b.hot_length = blk.Int(7);
      b.hot_crc = static_cast<uint32_t>(blk.Int(8));
      b.cold_crc = static_cast<uint32_t>(blk.Int(9));
    }
  }
  RETURN_IF_ERROR(ApplyRuns(db, ids, &chain));
  return chain;
}

}  // namespace sessions::checkpoint
