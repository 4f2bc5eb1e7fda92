#include "sessions/checkpoint/chain.h"

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

}  // namespace

std::string EncodeTokens(std::span<const int32_t> tokens) {
  std::string out;
  out.reserve(tokens.size() * 4);
  for (int32_t t : tokens) util::PutU32(&out, static_cast<uint32_t>(t));
  return out;
}

bool DecodeTokens(std::string_view bytes, std::vector<int32_t>* out) {
  if (bytes.size() % 4 != 0) return false;
  for (size_t i = 0; i < bytes.size(); i += 4) out->push_back(static_cast<int32_t>(util::GetU32(bytes, i)));
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
    // Token deltas, root first.
    ASSIGN_OR_RETURN(db::Stmt toks, db->Prepare(std::string(kChainCte) +
                                                "SELECT c.id, c.history_base, c.tokens FROM chain"
                                                " JOIN checkpoints c ON c.id = chain.id ORDER BY chain.depth DESC"));
    toks.Bind(1, checkpoint_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, toks.Step());
      if (!row) break;
      const int64_t base_len = toks.Int(1);
      if (base_len < 0 || base_len > static_cast<int64_t>(chain.history.size())) {
        return base::Corruption(CheckpointName(toks.Int(0)) + " keeps " + std::to_string(base_len) +
                                " tokens of a parent history of " + std::to_string(chain.history.size()));
      }
      chain.history.resize(static_cast<size_t>(base_len));
      if (!DecodeTokens(toks.Blob(2), &chain.history)) {
        return base::Corruption(CheckpointName(toks.Int(0)) + ": malformed token blob");
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
    for (;;) {
      ASSIGN_OR_RETURN(bool row, blk.Step());
      if (!row) break;
      const int64_t layer = blk.Int(0);
      const int64_t idx = blk.Int(1);
      if (layer < 0 || layer > 1'000'000 || idx < 0 || idx > (int64_t{1} << 40)) {
        return base::Corruption(CheckpointName(checkpoint_id) + ": block mapping out of range");
      }
      if (chain.blocks.size() <= static_cast<size_t>(layer)) chain.blocks.resize(static_cast<size_t>(layer) + 1);
      auto& per_layer = chain.blocks[static_cast<size_t>(layer)];
      if (per_layer.size() <= static_cast<size_t>(idx)) per_layer.resize(static_cast<size_t>(idx) + 1);
      ChainBlock& b = per_layer[static_cast<size_t>(idx)];
      b.present = true;
      if (!blocks::KeyFromBytes(blk.Blob(2), &b.key)) {
        return base::Corruption(CheckpointName(checkpoint_id) + ": malformed block key");
      }
      b.location.file = blk.Text(3);
      b.location.offset = static_cast<uint64_t>(blk.Int(4));
      b.location.length = static_cast<uint64_t>(blk.Int(5));
      b.location.crc = static_cast<uint32_t>(blk.Int(6));
      b.location.hot_length = blk.Int(7);
      b.location.hot_crc = static_cast<uint32_t>(blk.Int(8));
      b.location.cold_crc = static_cast<uint32_t>(blk.Int(9));
    }
  }
  return chain;
}

}  // namespace sessions::checkpoint
