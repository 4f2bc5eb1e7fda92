#include "sessions/checkpoint/delta.h"

#include <limits>

#include "sessions/util/bytes.h"

namespace sessions::checkpoint {
namespace {

constexpr char kMagic[] = "LHD1";

// Reads the record front to back; every read is bounds-checked.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  bool Take(size_t n, std::string_view* out) {
    if (n > bytes_.size() - pos_) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool U16(uint32_t* v) {
    std::string_view b;
    if (!Take(2, &b)) return false;
    *v = static_cast<uint32_t>(static_cast<uint8_t>(b[0])) | (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 8);
    return true;
  }
  bool U32(uint32_t* v) {
    std::string_view b;
    if (!Take(4, &b)) return false;
    *v = util::GetU32(b, 0);
    return true;
  }
  bool U64(uint64_t* v) {
    std::string_view b;
    if (!Take(8, &b)) return false;
    *v = util::GetU64(b, 0);
    return true;
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

base::Status Malformed(const std::string& what) { return base::Corruption("malformed checkpoint delta: " + what); }

}  // namespace

void AppendDeltaEntry(std::string* out, const DeltaEntry& e) {
  out->append(blocks::KeyToBytes(e.key));
  util::PutU32(out, e.file);
  util::PutU64(out, e.offset);
  util::PutU32(out, e.length);
  util::PutU32(out, e.crc);
  util::PutU32(out, e.hot_length);
  util::PutU32(out, e.hot_crc);
  util::PutU32(out, e.cold_crc);
}

DeltaEntry DeltaEntryAt(std::string_view entries, size_t i) {
  const size_t pos = i * kDeltaEntryBytes;
  DeltaEntry e;
  e.key.low = util::GetU64(entries, pos);
  e.key.high = util::GetU64(entries, pos + 8);
  e.file = util::GetU32(entries, pos + 16);
  e.offset = util::GetU64(entries, pos + 20);
  e.length = util::GetU32(entries, pos + 28);
  e.crc = util::GetU32(entries, pos + 32);
  e.hot_length = util::GetU32(entries, pos + 36);
  e.hot_crc = util::GetU32(entries, pos + 40);
  e.cold_crc = util::GetU32(entries, pos + 44);
  return e;
}

base::Result<DeltaView> ParseDelta(std::string_view bytes) {
  Cursor in(bytes);
  std::string_view magic;
  if (!in.Take(4, &magic) || magic != std::string_view(kMagic, 4)) return Malformed("bad magic");
  DeltaView view;
  uint32_t n_files = 0;
  if (!in.U32(&n_files) || n_files > in.left() / 2) return Malformed("file table");
  view.files.reserve(n_files);
  for (uint32_t i = 0; i < n_files; ++i) {
    uint32_t len = 0;
    std::string_view name;
    if (!in.U16(&len) || !in.Take(len, &name) || name.empty()) return Malformed("file " + std::to_string(i));
    view.files.push_back(name);
  }
  uint64_t n_tokens = 0;
  if (!in.U64(&n_tokens) || n_tokens > in.left() / 4 || !in.Take(n_tokens * 4, &view.tokens)) {
    return Malformed("token count");
  }
  uint32_t n_runs = 0;
  if (!in.U32(&n_runs) || n_runs > in.left() / 16) return Malformed("run count");
  view.runs.reserve(n_runs);
  for (uint32_t r = 0; r < n_runs; ++r) {
    DeltaView::Run run;
    uint32_t count = 0;
    if (!in.U32(&run.layer) || !in.U64(&run.first) || !in.U32(&count) || count > in.left() / kDeltaEntryBytes ||
        !in.Take(size_t{count} * kDeltaEntryBytes, &run.entries)) {
      return Malformed("run " + std::to_string(r));
    }
    if (run.layer > 1'000'000 || run.first > (uint64_t{1} << 40)) {
      return Malformed("run " + std::to_string(r) + " maps layer " + std::to_string(run.layer) + " index " +
                       std::to_string(run.first));
    }
    for (size_t i = 0; i < count; ++i) {
      // The file index is the one field a reader uses to index a table.
      if (util::GetU32(run.entries, i * kDeltaEntryBytes + 16) >= n_files) {
        return Malformed("run " + std::to_string(r) + " entry " + std::to_string(i) + " names no file");
      }
    }
    view.runs.push_back(run);
  }
  if (in.left() != 0) return Malformed(std::to_string(in.left()) + " trailing bytes");
  return view;
}

uint32_t DeltaData::FileIndex(std::string_view file) {
  // Few files per record (a writer's current segment and the ones it
  // shares blocks from): a scan beats a map.
  for (size_t i = files.size(); i-- > 0;) {
    if (files[i] == file) return static_cast<uint32_t>(i);
  }
  files.emplace_back(file);
  return static_cast<uint32_t>(files.size() - 1);
}

base::Status DeltaData::Add(int layer, int64_t index, const blocks::BlockKey& key,
                            const blocks::BlockLocation& location) {
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  if (layer < 0 || index < 0 || location.hot_length < 0 || location.length > kMax ||
      static_cast<uint64_t>(location.hot_length) > location.length || location.file.size() > 0xffff) {
    return base::InvalidArgument("block " + key.ToHex() + " (layer " + std::to_string(layer) + " index " +
                                 std::to_string(index) + ") has a location a checkpoint delta cannot hold");
  }
  DeltaEntry e{key,
               FileIndex(location.file),
               location.offset,
               static_cast<uint32_t>(location.length),
               location.crc,
               static_cast<uint32_t>(location.hot_length),
               location.hot_crc,
               location.cold_crc};
  const bool continues = !runs.empty() && runs.back().layer == static_cast<uint32_t>(layer) &&
                         runs.back().first + runs.back().entries.size() == static_cast<uint64_t>(index);
  if (!continues) runs.push_back({static_cast<uint32_t>(layer), static_cast<uint64_t>(index), {}});
  runs.back().entries.push_back(e);
  return base::Status::Ok();
}

DeltaData ToData(const DeltaView& view) {
  DeltaData data;
  for (std::string_view f : view.files) data.files.emplace_back(f);
  data.tokens.resize(view.token_count());
  for (size_t i = 0; i < data.tokens.size(); ++i) data.tokens[i] = static_cast<int32_t>(util::GetU32(view.tokens, 4 * i));
  for (const DeltaView::Run& r : view.runs) {
    DeltaData::Run run{r.layer, r.first, {}};
    run.entries.reserve(r.count());
    for (size_t i = 0; i < r.count(); ++i) run.entries.push_back(DeltaEntryAt(r.entries, i));
    data.runs.push_back(std::move(run));
  }
  return data;
}

std::string EncodeDelta(const DeltaData& data) {
  size_t size = 4 + 4 + 8 + 4 + data.tokens.size() * 4;
  for (const std::string& f : data.files) size += 2 + f.size();
  for (const DeltaData::Run& r : data.runs) size += 16 + r.entries.size() * kDeltaEntryBytes;
  std::string out;
  out.reserve(size);
  out.append(kMagic, 4);
  util::PutU32(&out, static_cast<uint32_t>(data.files.size()));
  for (const std::string& f : data.files) {
    out.push_back(static_cast<char>(f.size() & 0xff));
    out.push_back(static_cast<char>(f.size() >> 8));
    out.append(f);
  }
  util::PutU64(&out, data.tokens.size());
  for (int32_t t : data.tokens) util::PutU32(&out, static_cast<uint32_t>(t));
  util::PutU32(&out, static_cast<uint32_t>(data.runs.size()));
  for (const DeltaData::Run& r : data.runs) {
    util::PutU32(&out, r.layer);
    util::PutU64(&out, r.first);
    util::PutU32(&out, static_cast<uint32_t>(r.entries.size()));
    for (const DeltaEntry& e : r.entries) AppendDeltaEntry(&out, e);
  }
  return out;
}

blocks::BlockLocation LocationOf(const DeltaEntry& e, std::string_view file) {
  return {std::string(file), e.offset, e.length, e.crc, static_cast<int64_t>(e.hot_length), e.hot_crc, e.cold_crc};
}

}  // namespace sessions::checkpoint
