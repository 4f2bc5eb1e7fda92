// FileSystem: the seam between longhaul and the disk (LevelDB's Env idea).
//
// Everything that persists data goes through a FileSystem so tests can swap
// in an in-memory one or a fault-injecting one (failed writes, failed
// fsync, torn writes, a full disk, a crash that loses unsynced bytes).
//
// Threading: a FileSystem is safe to call from many threads at once. A
// WritableFile / ReadableFile object is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace base {

// An open file that is appended to. Nothing is durable until Sync() is OK.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Flushes data (and size) to stable storage: fdatasync on POSIX.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes in the file, counting appended-but-unsynced ones.
  virtual uint64_t Size() const = 0;
};

// An open file read at arbitrary offsets.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to n bytes at offset into dst. Returns the count read, which
  // is short only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, size_t n, void* dst) const = 0;
  virtual uint64_t Size() const = 0;
};

// A read-only view of a whole file, memory-mapped where the FileSystem can.
// The bytes stay valid for the lifetime of this object.
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual const uint8_t* data() const = 0;
  virtual size_t size() const = 0;
};

// An advisory, exclusive lock held until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  kTruncate,   // create or empty the file
  kAppend,     // create if missing, keep existing bytes
  kCreateNew,  // fail with kAlreadyExists if the file exists
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                             OpenMode mode) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) = 0;
  virtual Result<std::unique_ptr<MappedFile>> Map(const std::string& path) = 0;

  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // Creates the directory and any missing parents. OK if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  // Makes renames and creations inside the directory durable.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the entries in a directory, sorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // Takes an exclusive lock; kBusy if another holder has it.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path) = 0;

  // Helpers built on the primitives above.
  Result<std::string> ReadFile(const std::string& path);
  // Writes to path.tmp, syncs it, renames it over path, syncs the directory.
  Status WriteFileAtomic(const std::string& path, std::string_view data);
};

// The process-wide POSIX file system. Never null; never destroyed.
FileSystem* DefaultFileSystem();

// A fresh in-memory file system. It remembers which bytes were synced, so
// tests can simulate a power cut (see MemFileSystemCrash).
std::unique_ptr<FileSystem> NewMemFileSystem();
// Drops every byte of `fs` (which must come from NewMemFileSystem) that was
// not made durable by Sync(), and every rename or creation not followed by
// SyncDir() of its directory, as a machine crash would.
void MemFileSystemCrash(FileSystem* fs);

// Joins two path pieces with exactly one '/'.
std::string JoinPath(std::string_view a, std::string_view b);
// The directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string DirName(std::string_view path);

}  // namespace base
