#include "sessions/checkpoint/block_runs.h"

#include "sessions/util/bytes.h"

namespace sessions::checkpoint {

std::string EncodeRunEntries(std::span<const RunEntry> entries) {
  std::string out;
  out.reserve(entries.size() * kRunEntryBytes);
  for (const RunEntry& e : entries) {
    out += blocks::KeyToBytes(e.key);
    util::PutU64(&out, static_cast<uint64_t>(e.segment_id));
    util::PutU64(&out, e.offset);
    util::PutU64(&out, e.length);
    util::PutU32(&out, e.crc);
    util::PutU64(&out, static_cast<uint64_t>(e.hot_length));
    util::PutU32(&out, e.hot_crc);
    util::PutU32(&out, e.cold_crc);
  }
  return out;
}

RunEntry RunEntryAt(std::string_view bytes, size_t i) {
  const size_t pos = i * kRunEntryBytes;
  RunEntry e;
  e.key.low = util::GetU64(bytes, pos);
  e.key.high = util::GetU64(bytes, pos + 8);
  e.segment_id = static_cast<int64_t>(util::GetU64(bytes, pos + 16));
  e.offset = util::GetU64(bytes, pos + 24);
  e.length = util::GetU64(bytes, pos + 32);
  e.crc = util::GetU32(bytes, pos + 40);
  e.hot_length = static_cast<int64_t>(util::GetU64(bytes, pos + 44));
  e.hot_crc = util::GetU32(bytes, pos + 52);
  e.cold_crc = util::GetU32(bytes, pos + 56);
  return e;
}

bool DecodeRunEntries(std::string_view bytes, std::vector<RunEntry>* out) {
  if (bytes.size() % kRunEntryBytes != 0) return false;
  const size_t n = bytes.size() / kRunEntryBytes;
  out->reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) out->push_back(RunEntryAt(bytes, i));
  return true;
}

}  // namespace sessions::checkpoint
