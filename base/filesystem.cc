#include "base/filesystem.h"

namespace base {

Result<std::string> FileSystem::ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, OpenReadable(path));
  std::string data(file->Size(), '\0');
  ASSIGN_OR_RETURN(size_t n, file->ReadAt(0, data.size(), data.data()));
  data.resize(n);
  return data;
}

Status FileSystem::WriteFileAtomic(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, OpenWritable(tmp, OpenMode::kTruncate));
    Status s = file->Append(data);
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      Remove(tmp).IgnoreError();
      return s;
    }
  }
  RETURN_IF_ERROR(Rename(tmp, path));
  return SyncDir(DirName(path));
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  if (out.back() != '/') out += '/';
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += b;
  return out;
}

std::string DirName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace base
