#include "sessions/checkpoint/live_file.h"

#include "base/hash.h"
#include "sessions/util/bytes.h"

namespace sessions::checkpoint {

base::Result<LiveFileRef> WriteLiveFile(base::FileSystem* fs, const std::string& data_dir, std::string_view owner,
                                        std::string_view payload) {
  const std::string dir = base::JoinPath(data_dir, kLiveDir);
  RETURN_IF_ERROR(fs->CreateDirs(dir));
  LiveFileRef ref;
  ref.file = std::string(kLiveDir) + "/" + std::string(owner) + "-" + util::RandomHex(16) + kLiveSuffix;
  ref.bytes = payload.size();
  ref.crc = base::Crc32c(payload.data(), payload.size());
  const std::string path = base::JoinPath(data_dir, ref.file);
  ASSIGN_OR_RETURN(auto file, fs->OpenWritable(path, base::OpenMode::kCreateNew));
  base::Status s = file->Append(payload);
  if (s.ok()) s = file->Sync();
  base::Status closed = file->Close();
  if (s.ok()) s = closed;
  if (s.ok()) s = fs->SyncDir(dir);
  if (!s.ok()) return s.WithContext("writing live state " + ref.file);
  return ref;
}

base::Result<std::string> ReadLiveFile(base::FileSystem* fs, const std::string& data_dir, const LiveFileRef& ref) {
  auto data = fs->ReadFile(base::JoinPath(data_dir, ref.file));
  if (!data.ok()) return data.status().WithContext("reading live state " + ref.file);
  if (data->size() != ref.bytes) {
    return base::Corruption("live state " + ref.file + " has " + std::to_string(data->size()) +
                            " bytes; its checkpoint recorded " + std::to_string(ref.bytes));
  }
  const uint32_t crc = base::Crc32c(data->data(), data->size());
  if (crc != ref.crc) {
    return base::Corruption("live state " + ref.file + ": CRC32C mismatch (checkpoint says " + util::Hex32(ref.crc) +
                            ", bytes give " + util::Hex32(crc) + ")");
  }
  return std::move(data).value();
}

}  // namespace sessions::checkpoint
