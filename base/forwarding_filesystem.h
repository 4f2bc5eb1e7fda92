// A FileSystem that passes every call to another one (LevelDB's
// EnvWrapper): a wrapper that counts or intercepts a few operations
// overrides just those.
//
// Threading: as the target's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/filesystem.h"

namespace base {

class ForwardingFileSystem : public FileSystem {
 public:
  // `target` is not owned and must outlive this object.
  explicit ForwardingFileSystem(FileSystem* target = DefaultFileSystem()) : target_(target) {}

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& p, OpenMode m) override {
    return target_->OpenWritable(p, m);
  }
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& p) override {
    return target_->OpenReadable(p);
  }
  Result<std::unique_ptr<MappedFile>> Map(const std::string& p) override { return target_->Map(p); }
  Status Rename(const std::string& from, const std::string& to) override { return target_->Rename(from, to); }
  Status Remove(const std::string& p) override { return target_->Remove(p); }
  Status Truncate(const std::string& p, uint64_t size) override { return target_->Truncate(p, size); }
  Status CreateDirs(const std::string& p) override { return target_->CreateDirs(p); }
  Status SyncDir(const std::string& p) override { return target_->SyncDir(p); }
  Result<bool> Exists(const std::string& p) override { return target_->Exists(p); }
  Result<uint64_t> FileSize(const std::string& p) override { return target_->FileSize(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override { return target_->ListDir(p); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p) override { return target_->Lock(p); }

 protected:
  FileSystem* target() const { return target_; }

 private:
  FileSystem* target_;
};

}  // namespace base
