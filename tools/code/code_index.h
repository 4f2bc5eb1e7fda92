// The code map's index: each source file's symbols, cached by path with the
// hash of its content, so that mapping again after an edit re-parses only
// the files whose content changed (and forgets deleted ones). Private to
// tools/; tools/code_map.h is the public face.
//
// A refresh walks the repository (skipping what git ignores, .git, symlinks,
// unsupported extensions and files over the size limit), then for each file
// reuses the cached symbols when the file's stat stamp (size, mtime, inode)
// is unchanged and old enough to trust, or when its content hash is
// unchanged; otherwise it reads, hashes and parses it. Binary files (a NUL
// byte in the first 8 KiB) are skipped. Parsing runs on a few threads when
// many files need it (a cold index).
//
// Threading: every method may be called from several threads at once. One
// mutex serializes refreshes and guards the cache; a refresh returns an
// immutable CodeSnapshot that callers read without any lock while later
// refreshes replace it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tools/code/extract.h"
#include "tools/code/file_scan.h"
#include "tools/code/symbol_graph.h"
#include "tools/code/symbols.h"

namespace tools {

inline constexpr size_t kBinaryProbeBytes = 8 * 1024;

struct IndexLimits {
  uint64_t max_file_bytes = 1 << 20;  // larger files are generated or data, not code to map
  // A bound on a refresh's time and memory in huge trees: past it the walk
  // stops (files in walk order) and the result says so.
  size_t max_files = 20'000;
};

struct RefreshStats {
  size_t files = 0;    // source files in the snapshot
  size_t parsed = 0;   // new or changed, parsed by this refresh
  size_t reused = 0;   // unchanged since the last refresh
  size_t dropped = 0;  // indexed before, gone now (deleted, now binary, ...)
  size_t skipped_binary = 0;
  size_t skipped_large = 0;
  size_t skipped_failed = 0;  // unreadable, or tree-sitter gave up
  bool file_limit_reached = false;  // IndexLimits::max_files cut the walk short
};

// One consistent view of the index, sorted by path, with its reference graph.
class CodeSnapshot {
 public:
  CodeSnapshot(std::string repo_root, std::vector<std::shared_ptr<const FileSymbols>> files);
  CodeSnapshot(const CodeSnapshot&) = delete;
  CodeSnapshot& operator=(const CodeSnapshot&) = delete;

  const std::string& repo_root() const { return repo_root_; }
  const std::vector<std::shared_ptr<const FileSymbols>>& files() const { return files_; }
  const SymbolGraph& graph() const { return graph_; }
  // The index of `path` in files(), or -1.
  int Find(std::string_view path) const;
  size_t definition_count() const { return definition_count_; }
  size_t reference_count() const { return reference_count_; }

 private:
  std::string repo_root_;
  std::vector<std::shared_ptr<const FileSymbols>> files_;
  SymbolGraph graph_;  // views into files_
  size_t definition_count_ = 0;
  size_t reference_count_ = 0;
};

class CodeIndex {
 public:
  explicit CodeIndex(const IndexLimits& limits = IndexLimits());
  ~CodeIndex();
  CodeIndex(const CodeIndex&) = delete;
  CodeIndex& operator=(const CodeIndex&) = delete;

  // Brings the cache up to date with the files under `repo_root` (absolute
  // and canonical). A different root than the last call's starts afresh.
  // `stats` may be null.
  base::Result<std::shared_ptr<const CodeSnapshot>> Refresh(const std::string& repo_root, RefreshStats* stats);

  // The symbols of one file named outright (outline_file), indexed or not:
  // the cached ones when its content hash matches, else a fresh parse that
  // is not cached. Errors: kUnsupported for a binary file,
  // kResourceExhausted over the size limit, and ReadWholeFile's.
  base::Result<std::shared_ptr<const FileSymbols>> SymbolsOf(const std::string& repo_root, const std::string& relative,
                                                             Language language);

  // Totals since construction, for tests and benchmarks.
  struct Counters {
    uint64_t refreshes = 0;
    uint64_t parsed = 0;
    uint64_t reused = 0;
    uint64_t dropped = 0;
  };
  Counters counters() const;
  const IndexLimits& limits() const { return limits_; }

 private:
  struct Entry {
    std::shared_ptr<const FileSymbols> symbols;
    FileStamp stamp;
    int64_t read_at_ns = 0;  // wall clock just before the content was read
  };
  struct Job;
  void RunJobs(std::vector<Job>& jobs);
  void RunJob(SymbolParser& parser, Job& job) const;

  const IndexLimits limits_;
  SymbolQueries queries_;
  mutable std::mutex mu_;
  std::string root_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::shared_ptr<const CodeSnapshot> snapshot_;
  Counters counters_;
};

}  // namespace tools
