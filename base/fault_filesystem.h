// A FileSystem wrapper that fails on purpose, for crash-safety tests.
//
// Operations are counted per kind; the plan names which one fails. A torn
// write appends only part of its data and then reports an error, like a
// kill -9 or power cut in the middle of write(2).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "base/filesystem.h"

namespace base {

struct FaultPlan {
  // 1-based index of the operation that fails; 0 never fails.
  int64_t fail_write_at = 0;
  int64_t fail_sync_at = 0;
  int64_t fail_rename_at = 0;
  // When the failing write is torn, how many of its bytes still land.
  // Negative means the write lands nothing.
  int64_t torn_write_bytes = -1;
  // Total bytes the disk may hold across all appends; beyond it, appends
  // fail with kNoSpace after writing what fits. Negative: unlimited.
  int64_t disk_capacity_bytes = -1;
};

struct FaultCounters {
  int64_t writes = 0;
  int64_t syncs = 0;
  int64_t renames = 0;
  int64_t bytes_written = 0;
};

class FaultInjectingFileSystem : public FileSystem {
 public:
  // `target` is not owned and must outlive this object.
  FaultInjectingFileSystem(FileSystem* target, FaultPlan plan);

  void SetPlan(FaultPlan plan);
  FaultCounters counters() const;

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     OpenMode mode) override;
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override;
  Result<std::unique_ptr<MappedFile>> Map(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status CreateDirs(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override;

 private:
  class File;
  friend class File;

  // Decides the fate of one append of n bytes: how many bytes to write and
  // the status to return afterwards.
  Status PlanWrite(size_t n, size_t* bytes_to_write);
  Status PlanSync();

  FileSystem* target_;
  mutable std::mutex mu_;
  FaultPlan plan_;
  FaultCounters counters_;
};

}  // namespace base
