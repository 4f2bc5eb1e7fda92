#include "sessions/blocks/segment.h"

#include "base/hash.h"
#include "sessions/util/bytes.h"

namespace sessions::blocks {
namespace {

constexpr char kHeader[] = "LHSEG01\n";
constexpr uint32_t kRecordMagic = 0x4b42484c;  // "LHBK"

}  // namespace

std::string NewSegmentName(std::string_view owner) {
  return std::string(kSegmentDir) + "/seg-" + std::string(owner) + "-" + util::RandomHex(16) + kSegmentSuffix;
}

std::string OwnerOfFileName(std::string_view name) {
  // "seg-<owner>-<hex>.lhseg" or "<owner>-<hex>.lhlive": the owner is the
  // part before the last '-', after an optional "seg-".
  if (name.starts_with("seg-")) name.remove_prefix(4);
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return "";
  return std::string(name.substr(0, dash));
}

// --- SegmentWriter ---

SegmentWriter::SegmentWriter(base::FileSystem* fs, std::string data_dir, std::string owner, uint64_t rotate_bytes)
    : fs_(fs), data_dir_(std::move(data_dir)), owner_(std::move(owner)), rotate_bytes_(rotate_bytes) {}

SegmentWriter::~SegmentWriter() {
  if (file_) file_->Close().IgnoreError();  // unsynced bytes are garbage by design
}

base::Status SegmentWriter::OpenNew() {
  RETURN_IF_ERROR(fs_->CreateDirs(base::JoinPath(data_dir_, kSegmentDir)));
  std::string name = NewSegmentName(owner_);
  ASSIGN_OR_RETURN(file_, fs_->OpenWritable(base::JoinPath(data_dir_, name), base::OpenMode::kCreateNew));
  file_name_ = std::move(name);
  dir_dirty_ = true;
  base::Status s = file_->Append(std::string_view(kHeader, kSegmentHeaderBytes));
  if (!s.ok()) Abandon();
  return s;
}

base::Result<BlockLocation> SegmentWriter::Append(const BlockKey& key, std::string_view payload, int64_t hot_length) {
  if (hot_length > static_cast<int64_t>(payload.size())) {
    return base::InvalidArgument("a block's hot part (" + std::to_string(hot_length) + " bytes) exceeds its " +
                                 std::to_string(payload.size()) + " bytes");
  }
  const uint64_t record = kRecordOverheadBytes + payload.size();
  if (file_ && file_->Size() > kSegmentHeaderBytes && file_->Size() + record > rotate_bytes_) {
    // Rotate: the full segment must be durable before it is forgotten.
    base::Status s = file_->Sync();
    if (s.ok()) s = file_->Close();
    file_.reset();
    if (!s.ok()) return s.WithContext("sealing segment " + file_name_);
  }
  if (!file_) RETURN_IF_ERROR(OpenNew());

  std::string buf;
  buf.reserve(record);
  util::PutU32(&buf, kRecordMagic);
  util::PutU32(&buf, static_cast<uint32_t>(payload.size()));
  buf += KeyToBytes(key);
  buf.append(payload);
  const uint32_t crc = base::Crc32c(payload.data(), payload.size());
  util::PutU32(&buf, crc);

  BlockLocation loc;
  loc.file = file_name_;
  loc.offset = file_->Size() + 4 + 4 + 16;
  loc.length = payload.size();
  loc.crc = crc;
  if (hot_length >= 0) {
    const size_t hot = static_cast<size_t>(hot_length);
    loc.hot_length = hot_length;
    loc.hot_crc = base::Crc32c(payload.data(), hot);
    loc.cold_crc = base::Crc32c(payload.data() + hot, payload.size() - hot);
  }
  base::Status s = file_->Append(buf);
  if (!s.ok()) {
    Abandon();
    return s.WithContext("appending a block to " + loc.file);
  }
  return loc;
}

base::Status SegmentWriter::Sync() {
  if (file_) {
    base::Status s = file_->Sync();
    if (!s.ok()) {
      Abandon();
      return s.WithContext("syncing " + file_name_);
    }
  }
  if (dir_dirty_) {
    RETURN_IF_ERROR(fs_->SyncDir(base::JoinPath(data_dir_, kSegmentDir)));
    dir_dirty_ = false;
  }
  return base::Status::Ok();
}

void SegmentWriter::Abandon() {
  if (file_) file_->Close().IgnoreError();
  file_.reset();
  file_name_.clear();
}

// --- SegmentReader ---

SegmentReader::SegmentReader(base::FileSystem* fs, std::string data_dir) : fs_(fs), data_dir_(std::move(data_dir)) {}
SegmentReader::~SegmentReader() = default;

base::Result<std::string> SegmentReader::Read(const BlockLocation& loc) {
  auto it = open_.find(loc.file);
  if (it == open_.end()) {
    ASSIGN_OR_RETURN(auto file, fs_->OpenReadable(base::JoinPath(data_dir_, loc.file)));
    it = open_.emplace(loc.file, std::move(file)).first;
  }
  std::string payload(loc.length, '\0');
  ASSIGN_OR_RETURN(size_t got, it->second->ReadAt(loc.offset, loc.length, payload.data()));
  const std::string where = Where(loc);
  if (got != loc.length) {
    return base::Corruption(where + ": the file ends " + std::to_string(loc.length - got) +
                            " bytes short of the block");
  }
  const uint32_t crc = base::Crc32c(payload.data(), payload.size());
  if (crc != loc.crc) {
    return base::Corruption(where + ": CRC32C mismatch (index says " + util::Hex32(loc.crc) + ", bytes give " +
                            util::Hex32(crc) + ")");
  }
  return payload;
}

std::string SegmentReader::Where(const BlockLocation& loc) {
  return loc.file + " at offset " + std::to_string(loc.offset);
}

base::Result<std::shared_ptr<const base::MappedFile>> SegmentReader::MapFile(const std::string& file) {
  auto it = mapped_.find(file);
  if (it == mapped_.end()) {
    ASSIGN_OR_RETURN(std::unique_ptr<base::MappedFile> mapped, fs_->Map(base::JoinPath(data_dir_, file)));
    it = mapped_.emplace(file, std::shared_ptr<const base::MappedFile>(std::move(mapped))).first;
  }
  return it->second;
}

base::Result<SegmentView> SegmentReader::View(const BlockLocation& loc) {
  ASSIGN_OR_RETURN(std::shared_ptr<const base::MappedFile> owner, MapFile(loc.file));
  const base::MappedFile& file = *owner;
  if (loc.offset > file.size() || loc.length > file.size() - loc.offset) {
    const uint64_t have = loc.offset > file.size() ? 0 : file.size() - loc.offset;
    return base::Corruption(Where(loc) + ": the file ends " + std::to_string(loc.length - have) +
                            " bytes short of the block");
  }
  const char* data = reinterpret_cast<const char*>(file.data());
  return SegmentView{std::string_view(data + loc.offset, loc.length), std::move(owner)};
}

}  // namespace sessions::blocks
