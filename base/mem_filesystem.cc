// An in-memory FileSystem that models durability.
//
// Each file keeps its current bytes and the bytes last made durable by
// Sync(). Each directory entry (creation or rename) is durable only after
// SyncDir() of its parent. MemFileSystemCrash() rolls everything back to
// the durable state, which is what a power cut does to a real disk.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "base/filesystem.h"
#include "base/log.h"

namespace base {
namespace {

struct Inode {
  std::string data;
  std::string synced;
};

class MemFileSystem;

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemFileSystem* fs, std::shared_ptr<Inode> inode, std::string path)
      : fs_(fs), inode_(std::move(inode)), path_(std::move(path)) {}
  Status Append(std::string_view data) override;
  Status Sync() override;
  Status Close() override { return Status::Ok(); }
  uint64_t Size() const override;

 private:
  MemFileSystem* fs_;
  std::shared_ptr<Inode> inode_;
  std::string path_;
};

class MemReadableFile final : public ReadableFile {
 public:
  MemReadableFile(MemFileSystem* fs, std::shared_ptr<Inode> inode) : fs_(fs), inode_(std::move(inode)) {}
  Result<size_t> ReadAt(uint64_t offset, size_t n, void* dst) const override;
  uint64_t Size() const override;

 private:
  MemFileSystem* fs_;
  std::shared_ptr<Inode> inode_;
};

// A snapshot copy: later appends to the file do not change a mapping,
// which matches MAP_PRIVATE closely enough for tests.
class MemMappedFile final : public MappedFile {
 public:
  explicit MemMappedFile(std::string bytes) : bytes_(std::move(bytes)) {}
  const uint8_t* data() const override { return reinterpret_cast<const uint8_t*>(bytes_.data()); }
  size_t size() const override { return bytes_.size(); }

 private:
  std::string bytes_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(MemFileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  ~MemFileLock() override;

 private:
  MemFileSystem* fs_;
  std::string path_;
};

class MemFileSystem final : public FileSystem {
 public:
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Inode>> files;          // current namespace
  std::map<std::string, std::shared_ptr<Inode>> durable_files;  // namespace after a crash
  std::set<std::string> dirs{"/", "."};
  std::set<std::string> locks;

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     OpenMode mode) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!ParentExists(path)) return NotFound("open " + path + ": no such directory");
    if (dirs.count(path)) return InvalidArgument(path + " is a directory");
    auto it = files.find(path);
    if (it != files.end()) {
      if (mode == OpenMode::kCreateNew) return AlreadyExists("open " + path + ": file exists");
      if (mode == OpenMode::kTruncate) it->second->data.clear();
      return std::unique_ptr<WritableFile>(new MemWritableFile(this, it->second, path));
    }
    auto inode = std::make_shared<Inode>();
    files[path] = inode;
    return std::unique_ptr<WritableFile>(new MemWritableFile(this, inode, path));
  }

  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(path);
    if (it == files.end()) return NotFound("open " + path + ": no such file");
    return std::unique_ptr<ReadableFile>(new MemReadableFile(this, it->second));
  }

  Result<std::unique_ptr<MappedFile>> Map(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(path);
    if (it == files.end()) return NotFound("open " + path + ": no such file");
    return std::unique_ptr<MappedFile>(new MemMappedFile(it->second->data));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(from);
    if (it == files.end()) return NotFound("rename " + from + ": no such file");
    if (!ParentExists(to)) return NotFound("rename to " + to + ": no such directory");
    files[to] = it->second;
    files.erase(it);
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    if (files.erase(path) == 0) return NotFound("unlink " + path + ": no such file");
    return Status::Ok();
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(path);
    if (it == files.end()) return NotFound("truncate " + path + ": no such file");
    it->second->data.resize(size, '\0');
    return Status::Ok();
  }

  Status CreateDirs(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    std::string p = path;
    while (!p.empty() && p != "/" && p != ".") {
      if (files.count(p)) return AlreadyExists(p + " exists and is not a directory");
      dirs.insert(p);
      p = DirName(p);
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!dirs.count(path)) return NotFound("open dir " + path + ": no such directory");
    // Entries directly inside `path` become durable as they are now.
    for (auto it = durable_files.begin(); it != durable_files.end();) {
      if (DirName(it->first) == path && !files.count(it->first)) {
        it = durable_files.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [name, inode] : files) {
      if (DirName(name) == path) durable_files[name] = inode;
    }
    return Status::Ok();
  }

  Result<bool> Exists(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    return files.count(path) > 0 || dirs.count(path) > 0;
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(path);
    if (it == files.end()) return NotFound("stat " + path + ": no such file");
    return static_cast<uint64_t>(it->second->data.size());
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!dirs.count(path)) return NotFound("opendir " + path + ": no such directory");
    std::set<std::string> names;
    for (const auto& [name, inode] : files) {
      if (DirName(name) == path) names.insert(name.substr(name.rfind('/') + 1));
    }
    for (const std::string& dir : dirs) {
      if (dir != path && DirName(dir) == path) names.insert(dir.substr(dir.rfind('/') + 1));
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!locks.insert(path).second) return Busy(path + " is locked by another holder");
    return std::unique_ptr<FileLock>(new MemFileLock(this, path));
  }

  void Crash() {
    std::lock_guard<std::mutex> lock(mu);
    files = durable_files;
    for (auto& [name, inode] : files) inode->data = inode->synced;
  }

 private:
  bool ParentExists(const std::string& path) const { return dirs.count(DirName(path)) > 0; }
};

Status MemWritableFile::Append(std::string_view data) {
  std::lock_guard<std::mutex> lock(fs_->mu);
  inode_->data.append(data);
  return Status::Ok();
}

Status MemWritableFile::Sync() {
  std::lock_guard<std::mutex> lock(fs_->mu);
  inode_->synced = inode_->data;
  return Status::Ok();
}

uint64_t MemWritableFile::Size() const {
  std::lock_guard<std::mutex> lock(fs_->mu);
  return inode_->data.size();
}

Result<size_t> MemReadableFile::ReadAt(uint64_t offset, size_t n, void* dst) const {
  std::lock_guard<std::mutex> lock(fs_->mu);
  const std::string& data = inode_->data;
  if (offset >= data.size()) return size_t{0};
  size_t count = std::min<uint64_t>(n, data.size() - offset);
  std::copy_n(data.data() + offset, count, static_cast<char*>(dst));
  return count;
}

uint64_t MemReadableFile::Size() const {
  std::lock_guard<std::mutex> lock(fs_->mu);
  return inode_->data.size();
}

MemFileLock::~MemFileLock() {
  std::lock_guard<std::mutex> lock(fs_->mu);
  fs_->locks.erase(path_);
}

}  // namespace

std::unique_ptr<FileSystem> NewMemFileSystem() { return std::make_unique<MemFileSystem>(); }

void MemFileSystemCrash(FileSystem* fs) {
  auto* mem = dynamic_cast<MemFileSystem*>(fs);
  CHECK(mem != nullptr) << "MemFileSystemCrash needs a MemFileSystem";
  mem->Crash();
}

}  // namespace base
