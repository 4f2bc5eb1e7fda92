#include "sessions/checkpoint/chain.h"

#include <bit>
#include <cstring>
#include <map>

#include "base/hash.h"
#include "sessions/checkpoint/block_runs.h"
#include "sessions/util/bytes.h"

namespace sessions::checkpoint {
namespace {

// Ancestors-or-self with their distance from the start.
constexpr char kChainCte[] =
    "WITH RECURSIVE chain(id, depth) AS ("
    " SELECT ?1, 0"
    " UNION ALL"
    " SELECT c.parent_id, chain.depth + 1 FROM checkpoints c JOIN chain ON c.id = chain.id"
    " WHERE c.parent_id IS NOT NULL) ";

std::string CheckpointName(int64_t id) { return "checkpoint " + std::to_string(id); }

// Bounds on what a chain maps, so a corrupt index gets an error, not an
// allocation that cannot succeed. 2^24 blocks of a layer are 16M tokens
// even at one token a block, past any context this engine runs.
constexpr uint64_t kMaxLayers = 4096;
constexpr uint64_t kMaxBlocksPerLayer = uint64_t{1} << 24;

// A location from a row of schema 2 or 3 as a packed entry; `file` is
// already an index into Chain::files.
base::Result<DeltaEntry> LegacyEntry(const blocks::BlockKey& key, uint32_t file, const RunEntry& where) {
  if (where.length > UINT32_MAX) return base::Corruption("block " + key.ToHex() + " is over 4 GiB");
  DeltaEntry e{key, file, where.offset, static_cast<uint32_t>(where.length), where.crc,
               // Not split (schema 1): a length the restore refuses clearly.
               where.hot_length < 0 ? UINT32_MAX : static_cast<uint32_t>(where.hot_length), where.hot_crc,
               where.cold_crc};
  return e;
}

}  // namespace

// Applies one checkpoint's delta after another, root first.
class ChainBuilder {
 public:
  ChainBuilder(db::Db* db, blocks::SegmentReader* reader, Chain* chain) : db_(db), reader_(reader), chain_(chain) {
    chain_->file_maps_.emplace_back();  // map 0: the identity, for converted rows
  }

  // Schema 4: the record at `where`, CRC-checked here.
  base::Status ApplyRecord(int64_t id, int64_t history_base, const blocks::BlockLocation& where) {
    auto mapped = reader_->MapFile(where.file);
    if (!mapped.ok()) return mapped.status().WithContext(CheckpointName(id) + ": its delta");
    const base::MappedFile& file = **mapped;
    if (where.offset > file.size() || where.length > file.size() - where.offset) {
      const uint64_t have = where.offset > file.size() ? 0 : file.size() - where.offset;
      return base::Corruption(blocks::SegmentReader::Where(where) + ": the file ends " +
                              std::to_string(where.length - have) + " bytes short of " + CheckpointName(id) +
                              "'s delta");
    }
    const std::string_view bytes(reinterpret_cast<const char*>(file.data()) + where.offset, where.length);
    const uint32_t crc = base::Crc32c(bytes.data(), bytes.size());
    if (crc != where.crc) {
      return base::Corruption(blocks::SegmentReader::Where(where) + ": " + CheckpointName(id) + ": delta CRC32C " +
                              util::Hex32(crc) + ", the index says " + util::Hex32(where.crc));
    }
    auto view = ParseDelta(bytes);
    if (!view.ok()) return view.status().WithContext(CheckpointName(id) + " (" + blocks::SegmentReader::Where(where) + ")");
    if (chain_->mapped_.empty() || chain_->mapped_.back() != *mapped) chain_->mapped_.push_back(*mapped);
    RETURN_IF_ERROR(AddTokens(id, history_base, view->tokens));
    const uint32_t file_map = static_cast<uint32_t>(chain_->file_maps_.size());
    std::vector<uint32_t>& map = chain_->file_maps_.emplace_back();
    for (std::string_view name : view->files) map.push_back(GlobalFile(name));
    for (const DeltaView::Run& r : view->runs) {
      RETURN_IF_ERROR(AddRun(id, r.layer, r.first, {r.entries, file_map}));
    }
    return base::Status::Ok();
  }

  // Schemas 2 and 3: the token blob, mapping rows and runs of checkpoint `id`.
  base::Status ApplyRows(int64_t id, int64_t history_base) {
    {
      ASSIGN_OR_RETURN(db::Stmt toks, db_->Prepare("SELECT tokens FROM checkpoints WHERE id = ?1"));
      toks.Bind(1, id);
      ASSIGN_OR_RETURN(bool row, toks.Step());
      if (!row) return base::NotFound(CheckpointName(id) + " does not exist");
      const std::string& owned = chain_->owned_.emplace_back(toks.BlobView(0));
      RETURN_IF_ERROR(AddTokens(id, history_base, owned));
    }
    RETURN_IF_ERROR(ApplyMappingRows(id));
    return ApplyRunRows(id);
  }

  base::Status Finish() {
    if (history_size_ != chain_->n_past) {
      return base::Corruption(CheckpointName(chain_->checkpoint_id) + " records n_past " +
                              std::to_string(chain_->n_past) + " but its chain holds " +
                              std::to_string(history_size_) + " tokens");
    }
    return base::Status::Ok();
  }

 private:
  base::Status AddTokens(int64_t id, int64_t base, std::string_view bytes) {
    if (bytes.size() % 4 != 0) return base::Corruption(CheckpointName(id) + ": malformed token delta");
    if (base < 0 || base > history_size_) {
      return base::Corruption(CheckpointName(id) + " keeps " + std::to_string(base) + " tokens of a parent history of " +
                              std::to_string(history_size_));
    }
    history_size_ = base + static_cast<int64_t>(bytes.size() / 4);
    chain_->tokens_.push_back({base, bytes});
    return base::Status::Ok();
  }

  uint32_t GlobalFile(std::string_view name) {
    auto it = file_index_.find(name);
    if (it == file_index_.end()) {
      chain_->files.emplace_back(name);
      const auto index = static_cast<uint32_t>(chain_->files.size() - 1);
      chain_->file_maps_[0].push_back(index);
      it = file_index_.emplace(std::string(name), index).first;
    }
    return it->second;
  }

  // Points (layer, first...) at the run's entries.
  base::Status AddRun(int64_t id, uint64_t layer, uint64_t first, Chain::Run run) {
    const size_t count = run.entries.size() / kDeltaEntryBytes;
    if (count == 0) return base::Status::Ok();
    if (layer > kMaxLayers || first + count > kMaxBlocksPerLayer) {
      return base::Corruption(CheckpointName(id) + ": block mapping out of range (layer " + std::to_string(layer) +
                              ", blocks " + std::to_string(first) + "+" + std::to_string(count) + ")");
    }
    auto& blocks = chain_->blocks_;
    if (blocks.size() <= layer) blocks.resize(layer + 1);
    auto& per_layer = blocks[layer];
    if (per_layer.size() < first + count) per_layer.resize(first + count);
    const auto run_index = static_cast<uint32_t>(chain_->runs_.size());
    chain_->runs_.push_back(run);
    ChainBlock* slot = per_layer.data() + first;
    for (size_t i = 0; i < count; ++i) slot[i] = {run_index, static_cast<uint32_t>(i)};
    return base::Status::Ok();
  }

  base::Result<uint32_t> SegmentFile(int64_t id, int64_t segment_id) {
    auto it = segment_files_.find(segment_id);
    if (it != segment_files_.end()) return it->second;
    if (!segment_lookup_) {
      ASSIGN_OR_RETURN(db::Stmt stmt, db_->Prepare("SELECT file FROM segments WHERE id = ?1"));
      segment_lookup_.emplace(std::move(stmt));
    }
    segment_lookup_->Reset();
    segment_lookup_->Bind(1, segment_id);
    ASSIGN_OR_RETURN(bool found, segment_lookup_->Step());
    if (!found) {
      return base::Corruption(CheckpointName(id) + ": its blocks name segment " + std::to_string(segment_id) +
                              ", which the store does not have");
    }
    const uint32_t index = GlobalFile(segment_lookup_->Text(0));
    segment_files_.emplace(segment_id, index);
    return index;
  }

  // Schema 2: one row per mapping, its location joined from `blocks`.
  base::Status ApplyMappingRows(int64_t id) {
    ASSIGN_OR_RETURN(db::Stmt blk, db_->Prepare("SELECT cb.layer, cb.idx, cb.block_key, b.segment_id, b.offset,"
                                                " b.length, b.crc, b.hot_length, b.hot_crc, b.cold_crc"
                                                " FROM checkpoint_blocks cb JOIN blocks b ON b.key = cb.block_key"
                                                " WHERE cb.checkpoint_id = ?1"));
    blk.Bind(1, id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, blk.Step());
      if (!row) return base::Status::Ok();
      blocks::BlockKey key;
      if (!blocks::KeyFromBytes(blk.Blob(2), &key)) return base::Corruption(CheckpointName(id) + ": malformed block key");
      ASSIGN_OR_RETURN(const uint32_t file, SegmentFile(id, blk.Int(3)));
      const RunEntry where{key, 0, static_cast<uint64_t>(blk.Int(4)), static_cast<uint64_t>(blk.Int(5)),
                           static_cast<uint32_t>(blk.Int(6)), blk.Int(7), static_cast<uint32_t>(blk.Int(8)),
                           static_cast<uint32_t>(blk.Int(9))};
      ASSIGN_OR_RETURN(const DeltaEntry e, LegacyEntry(key, file, where));
      std::string& owned = chain_->owned_.emplace_back();
      AppendDeltaEntry(&owned, e);
      if (blk.Int(0) < 0 || blk.Int(1) < 0) return base::Corruption(CheckpointName(id) + ": block mapping out of range");
      RETURN_IF_ERROR(AddRun(id, static_cast<uint64_t>(blk.Int(0)), static_cast<uint64_t>(blk.Int(1)), {owned, 0}));
    }
  }

  // Schema 3: runs of RunEntry (segment ids) in checkpoint_block_runs.
  base::Status ApplyRunRows(int64_t id) {
    ASSIGN_OR_RETURN(db::Stmt runs, db_->Prepare("SELECT layer, first_idx, entries FROM checkpoint_block_runs"
                                                 " WHERE checkpoint_id = ?1"));
    runs.Bind(1, id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, runs.Step());
      if (!row) return base::Status::Ok();
      const std::string_view bytes = runs.BlobView(2);
      if (bytes.size() % kRunEntryBytes != 0) return base::Corruption(CheckpointName(id) + ": malformed block run");
      if (runs.Int(0) < 0 || runs.Int(1) < 0) return base::Corruption(CheckpointName(id) + ": block mapping out of range");
      std::string& owned = chain_->owned_.emplace_back();
      for (size_t i = 0; i < bytes.size() / kRunEntryBytes; ++i) {
        const RunEntry r = RunEntryAt(bytes, i);
        ASSIGN_OR_RETURN(const uint32_t file, SegmentFile(id, r.segment_id));
        ASSIGN_OR_RETURN(const DeltaEntry e, LegacyEntry(r.key, file, r));
        AppendDeltaEntry(&owned, e);
      }
      RETURN_IF_ERROR(AddRun(id, static_cast<uint64_t>(runs.Int(0)), static_cast<uint64_t>(runs.Int(1)), {owned, 0}));
    }
  }

  db::Db* db_;
  blocks::SegmentReader* reader_;
  Chain* chain_;
  int64_t history_size_ = 0;
  std::map<std::string, uint32_t, std::less<>> file_index_;
  std::map<int64_t, uint32_t> segment_files_;
  std::optional<db::Stmt> segment_lookup_;
};

ChainEntry Chain::Entry(const ChainBlock& b) const {
  const Run& run = runs_[b.run];
  ChainEntry e = DeltaEntryAt(run.entries, b.entry);
  e.file = file_maps_[run.file_map][e.file];
  return e;
}

blocks::BlockLocation Chain::Location(const ChainBlock& b) const {
  const ChainEntry e = Entry(b);
  return LocationOf(e, files[e.file]);
}

std::vector<int32_t> Chain::History() const {
  std::vector<int32_t> out;
  out.reserve(static_cast<size_t>(n_past));
  for (const Tokens& t : tokens_) {
    out.resize(static_cast<size_t>(t.base));
    DecodeTokens(t.bytes, &out);  // sizes checked by LoadChain
  }
  return out;
}

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

base::Result<Chain> LoadChain(db::Db* db, blocks::SegmentReader* reader, int64_t checkpoint_id) {
  Chain chain;
  chain.checkpoint_id = checkpoint_id;
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
  // The whole chain in one query, root first. Small columns only: sorting
  // a token blob of an older row would push it through SQLite's sorter.
  ASSIGN_OR_RETURN(db::Stmt rows, db->Prepare(std::string(kChainCte) +
                                              "SELECT c.id, c.history_base, s.file, c.delta_offset, c.delta_length,"
                                              " c.delta_crc, c.delta_segment IS NOT NULL FROM chain"
                                              " JOIN checkpoints c ON c.id = chain.id"
                                              " LEFT JOIN segments s ON s.id = c.delta_segment"
                                              " ORDER BY chain.depth DESC"));
  rows.Bind(1, checkpoint_id);
  ChainBuilder builder(db, reader, &chain);
  int64_t applied = 0;
  for (;; ++applied) {
    ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    const int64_t id = rows.Int(0);
    if (rows.Int(6) == 0) {
      RETURN_IF_ERROR(builder.ApplyRows(id, rows.Int(1)));
      continue;
    }
    if (rows.IsNull(2)) {
      return base::Corruption(CheckpointName(id) + "'s delta names a segment the store does not have");
    }
    blocks::BlockLocation where{rows.Text(2), static_cast<uint64_t>(rows.Int(3)), static_cast<uint64_t>(rows.Int(4)),
                                static_cast<uint32_t>(rows.Int(5))};
    RETURN_IF_ERROR(builder.ApplyRecord(id, rows.Int(1), where));
  }
  if (applied == 0) return base::NotFound(CheckpointName(checkpoint_id) + " does not exist");
  RETURN_IF_ERROR(builder.Finish());
  return chain;
}

}  // namespace sessions::checkpoint
