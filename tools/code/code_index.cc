#include "tools/code/code_index.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "base/hash.h"
#include "base/thread_pool.h"
#include "tools/file_io.h"
#include "tools/text_util.h"

namespace tools {
namespace {

// Filesystem timestamps are coarse (a jiffy or worse) and may trail the
// wall clock: a stamp is trusted only when the file had not been written
// for this long before its content was read, as git does for its index.
constexpr int64_t kRacyWindowNs = 2'000'000'000;
// Below this many files to parse, threads cost more than they save.
constexpr size_t kParallelJobs = 16;
constexpr unsigned kMaxThreads = 8;

int64_t WallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Trusted(const FileStamp& now, const FileStamp& cached, int64_t read_at_ns) {
  return now == cached && cached.mtime_ns + kRacyWindowNs < read_at_ns;
}

bool LooksBinaryHead(std::string_view content) { return LooksBinary(content.substr(0, kBinaryProbeBytes)); }

}  // namespace

struct CodeIndex::Job {
  // In:
  const SourceFile* file = nullptr;
  std::shared_ptr<const FileSymbols> cached;  // may be null
  std::string absolute;
  // Out:
  enum class Outcome { kReused, kParsed, kBinary, kFailed } outcome = Outcome::kFailed;
  std::shared_ptr<const FileSymbols> symbols;
  int64_t read_at_ns = 0;
};

CodeSnapshot::CodeSnapshot(std::string repo_root, std::vector<std::shared_ptr<const FileSymbols>> files)
    : repo_root_(std::move(repo_root)), files_(std::move(files)), graph_(BuildSymbolGraph(files_)) {
  for (const auto& f : files_) {
    definition_count_ += f->definitions.size();
    reference_count_ += f->references.size();
  }
}

int CodeSnapshot::Find(std::string_view path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [](const std::shared_ptr<const FileSymbols>& f, std::string_view p) { return f->path < p; });
  return it != files_.end() && (*it)->path == path ? static_cast<int>(it - files_.begin()) : -1;
}

CodeIndex::CodeIndex(const IndexLimits& limits) : limits_(limits) {}
CodeIndex::~CodeIndex() = default;

CodeIndex::Counters CodeIndex::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void CodeIndex::RunJob(SymbolParser& parser, Job& job) const {
  job.read_at_ns = WallClockNs();
  auto content = ReadWholeFile(job.absolute, limits_.max_file_bytes);
  if (!content.ok()) return;  // vanished, grew past the limit, unreadable: kFailed
  if (LooksBinaryHead(*content)) {
    job.outcome = Job::Outcome::kBinary;
    return;
  }
  const uint64_t hash = base::Hash64(*content);
  if (job.cached != nullptr && job.cached->content_hash == hash && job.cached->language == job.file->language) {
    job.outcome = Job::Outcome::kReused;
    job.symbols = job.cached;
    return;
  }
  auto parsed = parser.Parse(job.file->language, job.file->relative, *content, hash);
  if (!parsed.ok()) return;
  job.outcome = Job::Outcome::kParsed;
  job.symbols = std::make_shared<const FileSymbols>(std::move(*parsed));
}

void CodeIndex::RunJobs(std::vector<Job>& jobs) {
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min<size_t>({hardware, kMaxThreads, (jobs.size() + kParallelJobs - 1) / kParallelJobs});
  if (threads <= 1) {
    SymbolParser parser(queries_);
    for (Job& job : jobs) RunJob(parser, job);
    return;
  }
  std::atomic<size_t> next{0};
  base::ThreadPool pool(static_cast<int>(threads));
  pool.Run([&](int) {
    SymbolParser parser(queries_);
    for (size_t i = next.fetch_add(1); i < jobs.size(); i = next.fetch_add(1)) RunJob(parser, jobs[i]);
  });
}

base::Result<std::shared_ptr<const CodeSnapshot>> CodeIndex::Refresh(const std::string& repo_root,
                                                                     RefreshStats* stats_out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (repo_root != root_) {
    entries_.clear();
    snapshot_.reset();
    root_ = repo_root;
  }
  ScanCounts counts;
  ASSIGN_OR_RETURN(std::vector<SourceFile> files,
                   ScanSourceFiles(repo_root, ScanLimits{limits_.max_file_bytes, limits_.max_files}, &counts));
  RefreshStats stats;
  stats.skipped_large = counts.too_large;
  stats.file_limit_reached = counts.file_limit_reached;

  std::map<std::string, Entry, std::less<>> next;
  std::vector<Job> jobs;
  for (const SourceFile& file : files) {
    auto it = entries_.find(file.relative);
    if (it != entries_.end() && it->second.symbols->language == file.language &&
        Trusted(file.stamp, it->second.stamp, it->second.read_at_ns)) {
      next.emplace(file.relative, it->second);
      ++stats.reused;
      continue;
    }
    Job job;
    job.file = &file;
    job.cached = it != entries_.end() ? it->second.symbols : nullptr;
    job.absolute = repo_root + "/" + file.relative;
    jobs.push_back(std::move(job));
  }
  RunJobs(jobs);
  for (Job& job : jobs) {
    switch (job.outcome) {
      case Job::Outcome::kReused: ++stats.reused; break;
      case Job::Outcome::kParsed: ++stats.parsed; break;
      case Job::Outcome::kBinary: ++stats.skipped_binary; continue;
      case Job::Outcome::kFailed: ++stats.skipped_failed; continue;
    }
    next.emplace(job.file->relative, Entry{std::move(job.symbols), job.file->stamp, job.read_at_ns});
  }
  for (const auto& [path, entry] : entries_) stats.dropped += next.count(path) == 0 ? 1 : 0;
  entries_.swap(next);
  stats.files = entries_.size();

  if (snapshot_ == nullptr || stats.parsed > 0 || stats.dropped > 0) {
    std::vector<std::shared_ptr<const FileSymbols>> symbols;
    symbols.reserve(entries_.size());
    for (const auto& [path, entry] : entries_) symbols.push_back(entry.symbols);
    snapshot_ = std::make_shared<const CodeSnapshot>(repo_root, std::move(symbols));
  }
  ++counters_.refreshes;
  counters_.parsed += stats.parsed;
  counters_.reused += stats.reused;
  counters_.dropped += stats.dropped;
  if (stats_out != nullptr) *stats_out = stats;
  return snapshot_;
}

base::Result<std::shared_ptr<const FileSymbols>> CodeIndex::SymbolsOf(const std::string& repo_root,
                                                                      const std::string& relative, Language language) {
  ASSIGN_OR_RETURN(std::string content, ReadWholeFile(repo_root + "/" + relative, limits_.max_file_bytes));
  if (LooksBinaryHead(content)) return base::Unsupported(relative + " is a binary file");
  const uint64_t hash = base::Hash64(content);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(relative);
    if (root_ == repo_root && it != entries_.end() && it->second.symbols->content_hash == hash &&
        it->second.symbols->language == language) {
      return it->second.symbols;
    }
  }
  SymbolParser parser(queries_);
  ASSIGN_OR_RETURN(FileSymbols symbols, parser.Parse(language, relative, content, hash));
  return std::make_shared<const FileSymbols>(std::move(symbols));
}

}  // namespace tools
