#include "sessions/checkpoint/restore.h"

#include <system_error>
#include <thread>
#include <utility>

#include "base/hash.h"
#include "sessions/blocks/segment.h"
#include "sessions/util/bytes.h"

namespace sessions::checkpoint {

base::Status CheckCompatible(const SessionInfo& session, const internal::KvState& kv) {
  const std::string label = "session " + (session.name.empty() ? session.id : session.name + " (" + session.id + ")");
  const std::string fingerprint = kv.model_fingerprint();
  if (fingerprint != session.model_fingerprint) {
    return base::FailedPrecondition(label + " was made with model " + session.model_fingerprint +
                                    (session.model_path.empty() ? "" : " (" + session.model_path + ")") +
                                    ", but the loaded model is " + fingerprint);
  }
  const std::string policy = kv.policy_text();
  if (policy != session.policy) {
    return base::FailedPrecondition(label + " uses KV policy \"" + session.policy + "\", but the context runs \"" +
                                    policy + "\"");
  }
  return base::Status::Ok();
}

namespace {

// Decodes a chain's history on a thread of its own while the caller
// restores the engine: at a million tokens both are mostly first touches
// of fresh memory (4 MB of tokens, the engine's block tables), which
// overlap well. Joins on destruction, so every return path waits for it.
class HistoryDecoder {
 public:
  explicit HistoryDecoder(const Chain& chain) : chain_(chain) {
    constexpr int64_t kWorthAThread = 64 * 1024;  // tokens
    if (chain.n_past < kWorthAThread) return;
    try {
      thread_ = std::thread([this] { history_ = chain_.History(); });
    } catch (const std::system_error&) {
      // No thread to spare: Take() decodes on the caller's.
    }
  }
  ~HistoryDecoder() {
    if (thread_.joinable()) thread_.join();
  }
  HistoryDecoder(const HistoryDecoder&) = delete;
  HistoryDecoder& operator=(const HistoryDecoder&) = delete;

  std::vector<int32_t> Take() {
    if (thread_.joinable()) {
      thread_.join();
      return std::move(history_);
    }
    return chain_.History();
  }

 private:
  const Chain& chain_;
  std::thread thread_;
  std::vector<int32_t> history_;
};

// One attempt. Sets *moved when a block's segment file was missing: gc
// compacted it after the chain was read, and a fresh chain will find it.
base::Result<RestoredSession> RestoreOnce(internal::StoreDeps* deps, int64_t checkpoint_id, internal::KvState* kv,
                                          Chain* chain_out, bool* moved) {
  const int64_t t0 = deps->clock->MonotonicNanos();
  blocks::SegmentReader reader(deps->fs, deps->data_dir);
  auto loaded = LoadChain(deps->db.get(), &reader, checkpoint_id);
  if (!loaded.ok()) {
    // A delta's segment gone: gc compacted it after the rows were read.
    if (loaded.status().code() == base::StatusCode::kNotFound) *moved = true;
    return loaded.status();
  }
  Chain& chain = *loaded;
  HistoryDecoder history(chain);
  ASSIGN_OR_RETURN(std::string live, ReadLiveFile(deps->fs, deps->data_dir, chain.live));

  RestoredSession out;
  out.checkpoint_id = checkpoint_id;
  out.bytes_read = live.size();
  // Each file mapped once (most already are, for the deltas); a block
  // costs no lookup and no allocation.
  std::vector<std::shared_ptr<const base::MappedFile>> mapped(chain.files.size());
  // No block byte is read here: both parts stay in the mapped segment with
  // their CRCs, and the cache checks each before its first use
  // (engine/kv/kv_block.h). So a resume costs the live state and the
  // chain, not the blocks.
  const auto fetch_one = [&](int layer, int64_t index, engine::KvBlockView* view) -> base::Status {
    const auto which = [&] { return "layer " + std::to_string(layer) + " block " + std::to_string(index); };
    const ChainBlock* found = chain.Find(layer, index);
    if (!found) return base::Corruption("checkpoint " + std::to_string(checkpoint_id) + " has no " + which());
    const ChainEntry b = chain.Entry(*found);
    if (b.hot_length > b.length) {
      return base::FailedPrecondition(which() + " (key " + b.key.ToHex() +
                                      ") was stored by an older longhaul, in a format this one cannot resume");
    }
    if (!mapped[b.file]) {
      auto file = reader.MapFile(chain.files[b.file]);
      if (!file.ok()) {
        if (file.status().code() == base::StatusCode::kNotFound) *moved = true;
        return file.status().WithContext(which() + " (key " + b.key.ToHex() + ")");
      }
      mapped[b.file] = *std::move(file);
    }
    const base::MappedFile& file = *mapped[b.file];
    if (b.offset > file.size() || b.length > file.size() - b.offset) {
      const uint64_t have = b.offset > file.size() ? 0 : file.size() - b.offset;
      return base::Corruption(blocks::SegmentReader::Where(chain.Location(*found)) + ": " + which() +
                              ": the file ends " + std::to_string(b.length - have) + " bytes short of the block");
    }
    const std::string_view bytes(reinterpret_cast<const char*>(file.data()) + b.offset, b.length);
    const std::string_view hot = bytes.substr(0, b.hot_length);
    ++out.blocks_loaded;
    out.bytes_mapped += bytes.size();
    *view = engine::KvBlockView{hot, bytes.substr(hot.size()), b.cold_crc, mapped[b.file], b.hot_crc};
    return base::Status::Ok();
  };
  const engine::KvBlockFetcher fetch = [&](int layer, int64_t first, std::span<engine::KvBlockView> views) {
    for (size_t i = 0; i < views.size(); ++i) {
      RETURN_IF_ERROR(fetch_one(layer, first + static_cast<int64_t>(i), &views[i]));
    }
    return base::Status::Ok();
  };
  base::Status s = kv->Restore(live, fetch);
  if (!s.ok()) return s.WithContext("restoring checkpoint " + std::to_string(checkpoint_id));
  if (kv->n_past() != chain.n_past) {
    return base::Corruption("checkpoint " + std::to_string(checkpoint_id) + " holds " + std::to_string(chain.n_past) +
                            " tokens but its live state restored " + std::to_string(kv->n_past()));
  }
  out.history = history.Take();
  out.sampler = chain.sampler;
  out.seconds = internal::SecondsSince(deps->clock, t0);
  if (chain_out) *chain_out = std::move(chain);
  return out;
}

}  // namespace

base::Result<RestoredSession> RestoreCheckpoint(internal::StoreDeps* deps, int64_t checkpoint_id, internal::KvState* kv,
                                                Chain* chain_out) {
  bool moved = false;
  auto restored = RestoreOnce(deps, checkpoint_id, kv, chain_out, &moved);
  if (restored.ok() || !moved) return restored;
  moved = false;
  return RestoreOnce(deps, checkpoint_id, kv, chain_out, &moved);
}

}  // namespace sessions::checkpoint
