#include "base/fault_filesystem.h"

#include <algorithm>

namespace base {

class FaultInjectingFileSystem::File final : public WritableFile {
 public:
  File(FaultInjectingFileSystem* owner, std::unique_ptr<WritableFile> target)
      : owner_(owner), target_(std::move(target)) {}

  Status Append(std::string_view data) override {
    size_t allowed = data.size();
    Status fate = owner_->PlanWrite(data.size(), &allowed);
    if (allowed > 0) RETURN_IF_ERROR(target_->Append(data.substr(0, allowed)));
    return fate;
  }
  Status Sync() override {
    RETURN_IF_ERROR(owner_->PlanSync());
    return target_->Sync();
  }
  Status Close() override { return target_->Close(); }
  uint64_t Size() const override { return target_->Size(); }

 private:
  FaultInjectingFileSystem* owner_;
  std::unique_ptr<WritableFile> target_;
};

FaultInjectingFileSystem::FaultInjectingFileSystem(FileSystem* target, FaultPlan plan)
    : target_(target), plan_(plan) {}

void FaultInjectingFileSystem::SetPlan(FaultPlan plan) {
  std::lock_guard<std::mutex> lock(mu_);
  plan_ = plan;
  counters_ = FaultCounters{};
}

FaultCounters FaultInjectingFileSystem::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

Status FaultInjectingFileSystem::PlanWrite(size_t n, size_t* bytes_to_write) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.writes;
  *bytes_to_write = n;
  if (plan_.fail_write_at != 0 && counters_.writes == plan_.fail_write_at) {
    *bytes_to_write = plan_.torn_write_bytes < 0
                          ? 0
                          : std::min<size_t>(n, static_cast<size_t>(plan_.torn_write_bytes));
    counters_.bytes_written += static_cast<int64_t>(*bytes_to_write);
    return IoError("injected write failure (write #" + std::to_string(counters_.writes) + ")");
  }
  if (plan_.disk_capacity_bytes >= 0) {
    int64_t room = std::max<int64_t>(0, plan_.disk_capacity_bytes - counters_.bytes_written);
    if (static_cast<int64_t>(n) > room) {
      *bytes_to_write = static_cast<size_t>(room);
      counters_.bytes_written += room;
      return NoSpace("injected: no space left on device");
    }
  }
  counters_.bytes_written += static_cast<int64_t>(n);
  return Status::Ok();
}

Status FaultInjectingFileSystem::PlanSync() {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.syncs;
  if (plan_.fail_sync_at != 0 && counters_.syncs == plan_.fail_sync_at) {
    return IoError("injected fsync failure (sync #" + std::to_string(counters_.syncs) + ")");
  }
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::OpenWritable(
    const std::string& path, OpenMode mode) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, target_->OpenWritable(path, mode));
  return std::unique_ptr<WritableFile>(new File(this, std::move(file)));
}

Result<std::unique_ptr<ReadableFile>> FaultInjectingFileSystem::OpenReadable(const std::string& path) {
  return target_->OpenReadable(path);
}

Result<std::unique_ptr<MappedFile>> FaultInjectingFileSystem::Map(const std::string& path) {
  return target_->Map(path);
}

Status FaultInjectingFileSystem::Rename(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.renames;
    if (plan_.fail_rename_at != 0 && counters_.renames == plan_.fail_rename_at) {
      return IoError("injected rename failure (rename #" + std::to_string(counters_.renames) + ")");
    }
  }
  return target_->Rename(from, to);
}

Status FaultInjectingFileSystem::Remove(const std::string& path) { return target_->Remove(path); }
Status FaultInjectingFileSystem::Truncate(const std::string& path, uint64_t size) {
  return target_->Truncate(path, size);
}
Status FaultInjectingFileSystem::CreateDirs(const std::string& path) { return target_->CreateDirs(path); }
Status FaultInjectingFileSystem::SyncDir(const std::string& path) {
  RETURN_IF_ERROR(PlanSync());
  return target_->SyncDir(path);
}
Result<bool> FaultInjectingFileSystem::Exists(const std::string& path) { return target_->Exists(path); }
Result<uint64_t> FaultInjectingFileSystem::FileSize(const std::string& path) {
  return target_->FileSize(path);
}
Result<std::vector<std::string>> FaultInjectingFileSystem::ListDir(const std::string& path) {
  return target_->ListDir(path);
}
Result<std::unique_ptr<FileLock>> FaultInjectingFileSystem::Lock(const std::string& path) {
  return target_->Lock(path);
}

}  // namespace base
