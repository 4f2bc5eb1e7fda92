// `longhaul bench session`: the persistent-session measurements of issue 5
// as one JSON object on stdout (progress on stderr). Per size N: build a
// session of N tokens, checkpoint a step of --step more tokens (time,
// bytes), resume it into a fresh context (time, bit-identity), compare with
// re-prefilling N tokens, and measure disk bytes per token and fork time.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"
#include "base/forwarding_filesystem.h"
#include "sessions/store.h"

namespace cli {
namespace {

constexpr char kLlamaCppReference[] =
    "llama.cpp state save/restore, tiny-llama-spm-f16, 2 threads (issue 5). 32K: state 34 MB, save 12-19 ms + "
    "fsync 13-15 ms, restore (cold) 21-34 ms, re-prefill 23-32 s. 128K: state 136 MB, save 74-90 ms + fsync "
    "36-58 ms, restore (cold) 144-187 ms, re-prefill 399-495 s. Full snapshots: every save rewrites everything.";

struct BenchSessionFlags {
  EngineFlags engine;
  std::vector<std::string> sizes = {"8k", "32k", "128k", "1m"};
  int64_t step = 1024;
  int reps = 3;
  std::string data_dir;  // empty: a fresh temp dir, removed afterwards
  int64_t reprefill_max = 131072;
  bool quiet = false;
};

// "8k" -> 8192, "1m" -> 1048576, "300" -> 300; nullopt when malformed.
std::optional<int64_t> ParseTokenCount(std::string s) {
  int64_t unit = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) unit = 1024;
  if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) unit = 1024 * 1024;
  if (unit != 1) s.pop_back();
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  const int64_t n = std::stoll(s) * unit;
  return n > 0 ? std::optional<int64_t>(n) : std::nullopt;
}

// The real disk, counting what the store appends and syncs through it, so
// the bytes reported are the store's own writes (SQLite's pages excepted:
// the store keeps its database off the seam; disk_growth_bytes has them).
struct IoCounts {
  uint64_t bytes = 0;
  int64_t syncs = 0;
};

class CountingFile : public base::WritableFile {
 public:
  CountingFile(std::unique_ptr<base::WritableFile> f, IoCounts* c) : f_(std::move(f)), c_(c) {}
  base::Status Append(std::string_view data) override {
    c_->bytes += data.size();
    return f_->Append(data);
  }
  base::Status Sync() override {
    ++c_->syncs;
    return f_->Sync();
  }
  base::Status Close() override { return f_->Close(); }
  uint64_t Size() const override { return f_->Size(); }

 private:
  std::unique_ptr<base::WritableFile> f_;
  IoCounts* c_;
};

class CountingFileSystem : public base::ForwardingFileSystem {
 public:
  IoCounts counts;
  base::Result<std::unique_ptr<base::WritableFile>> OpenWritable(const std::string& p, base::OpenMode m) override {
    ASSIGN_OR_RETURN(std::unique_ptr<base::WritableFile> f, target()->OpenWritable(p, m));
    return std::unique_ptr<base::WritableFile>(new CountingFile(std::move(f), &counts));
  }
  base::Status SyncDir(const std::string& p) override {
    ++counts.syncs;
    return target()->SyncDir(p);
  }
};

using Clock = std::chrono::steady_clock;
double MillisSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Every file's size under `dir` (the SQLite database and WAL included).
uint64_t DirBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

// Real-ish text when the testdata has it (block contents then look like a
// session's), else deterministic pseudo-random ids. Returns the source name.
std::string MakeTokens(const engine::Model& model, size_t n, std::vector<int32_t>* out) {
  const char* testdata = std::getenv("LONGHAUL_TESTDATA");
  auto text = testdata ? base::DefaultFileSystem()->ReadFile(std::string(testdata) + "/text/tinystories_val_20k.txt")
                       : base::Result<std::string>(base::NotFound("no LONGHAUL_TESTDATA"));
  std::vector<int32_t> unit = text.ok() ? model.Tokenize(*text, /*add_special=*/false, /*parse_special=*/false)
                                        : std::vector<int32_t>{};
  out->clear();
  if (unit.empty()) {
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int32_t> pick(0, model.n_vocab() - 1);
    while (out->size() < n) out->push_back(pick(rng));
    return "pseudo-random";
  }
  while (out->size() < n) out->insert(out->end(), unit.begin(), unit.end());
  out->resize(n);
  return "tinystories_val_20k.txt (repeated)";
}

struct Setup {
  const BenchSessionFlags* flags;
  const engine::Model* model;
  std::span<const int32_t> tokens;  // largest N + step
  std::string root;                 // one sub-directory per size
};

void Progress(const Setup& s, const std::string& line) {
  if (!s.flags->quiet) std::cerr << "[bench session] " << line << std::endl;
}

base::Result<double> PrefillMs(const Setup& s, int64_t n) {
  ASSIGN_OR_RETURN(std::unique_ptr<engine::Context> ctx, MakeContext(*s.model, s.flags->engine));
  const auto t0 = Clock::now();
  RETURN_IF_ERROR(ctx->Eval(s.tokens.first(static_cast<size_t>(n))));
  return MillisSince(t0);
}

base::Result<nlohmann::json> MeasureSize(const Setup& s, int64_t n) {
  const BenchSessionFlags& f = *s.flags;
  const std::string dir = base::JoinPath(s.root, "n" + std::to_string(n));
  if (std::filesystem::exists(dir)) return base::AlreadyExists(dir + " exists; give an empty --data-dir");
  nlohmann::json r = {{"tokens", n}};
  std::string session_id;
  std::vector<float> live_logits;
  {
    CountingFileSystem fs;
    ASSIGN_OR_RETURN(std::unique_ptr<sessions::Store> store, sessions::Store::Open({.data_dir = dir, .fs = &fs}));
    ASSIGN_OR_RETURN(std::unique_ptr<engine::Context> ctx, MakeContext(*s.model, f.engine));
    Progress(s, "prefill " + std::to_string(n) + " tokens");
    auto t0 = Clock::now();
    RETURN_IF_ERROR(ctx->Eval(s.tokens.first(static_cast<size_t>(n))));
    r["build_prefill_ms"] = MillisSince(t0);
    ASSIGN_OR_RETURN(std::unique_ptr<sessions::SessionWriter> writer, store->Create(*ctx, {.name = "bench"}));
    session_id = writer->info().id;
    for (const bool is_step : {false, true}) {
      const int64_t end = is_step ? n + f.step : n;
      if (is_step) RETURN_IF_ERROR(ctx->Eval(s.tokens.subspan(static_cast<size_t>(n), static_cast<size_t>(f.step))));
      const auto disk_before = static_cast<int64_t>(DirBytes(dir));
      fs.counts = {};
      t0 = Clock::now();
      ASSIGN_OR_RETURN(sessions::CheckpointStats st,
                       writer->Checkpoint(*ctx, s.tokens.first(static_cast<size_t>(end)), {}));
      r[is_step ? "step" : "first_checkpoint"] = {
          {"tokens", is_step ? f.step : n},      {"ms", MillisSince(t0)},
          {"bytes", fs.counts.bytes},            {"syncs", fs.counts.syncs},
          {"store_bytes", st.bytes_written},     {"new_blocks", st.new_blocks},
          {"disk_growth_bytes", static_cast<int64_t>(DirBytes(dir)) - disk_before}};
    }
    const std::span<const float> logits = ctx->logits();
    live_logits.assign(logits.begin(), logits.end());
  }  // the writer's lock, the store and the live context are gone: resume starts cold in-process

  std::vector<double> resume_ms;
  bool identical = true;
  sessions::RestoredSession last;
  std::unique_ptr<engine::Context> ctx;
  for (int rep = 0; rep < f.reps; ++rep) {
    ASSIGN_OR_RETURN(ctx, MakeContext(*s.model, f.engine));
    const auto t0 = Clock::now();  // opening the store is part of resuming
    ASSIGN_OR_RETURN(std::unique_ptr<sessions::Store> store, sessions::Store::Open({.data_dir = dir}));
    ASSIGN_OR_RETURN(last, store->Load(session_id, ctx.get()));
    resume_ms.push_back(MillisSince(t0));
    const std::span<const float> got = ctx->logits();
    identical = identical && got.size() == live_logits.size() &&
                std::memcmp(got.data(), live_logits.data(), got.size() * sizeof(float)) == 0 &&
                static_cast<int64_t>(last.history.size()) == n + f.step;
  }
  // Resume leaves cold payloads in the mapped segments, checked on first
  // read: the first decode after it pays for the blocks it selects.
  std::vector<double> decode_ms;
  for (int i = 0; i < 2; ++i) {
    const int32_t next = s.tokens[static_cast<size_t>(i)];  // any token: only the time counts
    const auto t0 = Clock::now();
    RETURN_IF_ERROR(ctx->Eval(std::span<const int32_t>(&next, 1)));
    decode_ms.push_back(MillisSince(t0));
  }
  ctx.reset();
  r["resume"] = {{"ms", Median(resume_ms)},
                 {"min_ms", *std::min_element(resume_ms.begin(), resume_ms.end())},
                 {"reps", f.reps},
                 {"blocks_loaded", last.blocks_loaded},
                 {"bytes_read", last.bytes_read},
                 {"bytes_mapped", last.bytes_mapped},
                 {"first_decode_ms", decode_ms[0]},
                 {"second_decode_ms", decode_ms[1]}};
  r["bit_identical"] = identical;

  ASSIGN_OR_RETURN(std::unique_ptr<sessions::Store> store, sessions::Store::Open({.data_dir = dir}));
  const uint64_t disk = DirBytes(dir);
  r["disk_bytes"] = disk;
  r["disk_bytes_per_token"] = static_cast<double>(disk) / static_cast<double>(n + f.step);
  const auto t0 = Clock::now();
  ASSIGN_OR_RETURN(sessions::SessionInfo forked, store->Fork(session_id, {}));
  r["fork_ms"] = MillisSince(t0);
  if (n <= f.reprefill_max) {
    Progress(s, "re-prefill " + std::to_string(n) + " tokens on a fresh context");
    ASSIGN_OR_RETURN(double ms, PrefillMs(s, n));
    r["reprefill_ms"] = ms;
  }
  return r;
}

// Sizes above --reprefill-max get a linear extrapolation from the largest
// measured one (the tiered cache's prefill is near-linear; dense is not),
// else from their own build prefill, which is the same operation.
void FillReprefill(nlohmann::json* sizes) {
  const nlohmann::json* basis = nullptr;
  for (const auto& r : *sizes) {
    if (r.contains("reprefill_ms")) basis = &r;
  }
  for (auto& r : *sizes) {
    const bool measured = r.contains("reprefill_ms");
    if (!measured) {
      const double n = r["tokens"].get<double>();
      r["reprefill_ms"] = basis ? (*basis)["reprefill_ms"].get<double>() * n / (*basis)["tokens"].get<double>()
                                : r["build_prefill_ms"].get<double>();
    }
    r["reprefill_extrapolated"] = !measured && basis != nullptr;
    r["reprefill_over_resume"] = r["reprefill_ms"].get<double>() / std::max(r["resume"]["ms"].get<double>(), 1e-9);
  }
}

int RunBenchSession(BenchSessionFlags f) {
  std::vector<int64_t> sizes;
  for (const std::string& text : f.sizes) sizes.push_back(*ParseTokenCount(text));  // validated by CLI11
  const int64_t largest = *std::max_element(sizes.begin(), sizes.end());
  const int64_t need = largest + f.step + 16;  // slack: the context must never be exactly full
  if (f.engine.ctx == 0) f.engine.ctx = need;
  if (f.engine.ctx < need) {
    std::cerr << "error: --ctx " << f.engine.ctx << " is below the largest size plus --step (" << need << ")\n";
    return kExitUsage;
  }
  if (f.engine.kv == "auto") f.engine.kv = "tiered";  // the policy sessions exist for
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  auto probe = MakeContext(*model, f.engine);  // checks the policy once, before minutes of prefill
  if (!probe.ok()) return ReportError(probe.status());
  const std::string policy = (*probe)->kv_policy_text();
  probe->reset();

  std::vector<int32_t> tokens;
  const std::string source = MakeTokens(*model, static_cast<size_t>(largest + f.step), &tokens);
  const bool temp = f.data_dir.empty();
  std::string root = f.data_dir;
  if (temp) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "longhaul_bench_session_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return ReportError(base::Internal("cannot create a temp directory"));
    root = tmpl;
  }
  const Setup setup{.flags = &f, .model = &*model, .tokens = tokens, .root = root};
  nlohmann::json out = {{"bench", "session"}, {"model", f.engine.model_path}, {"arch", model->Summary().arch},
                        {"threads", f.engine.threads}, {"policy", policy}, {"n_ctx", f.engine.ctx},
                        {"step", f.step}, {"reps", f.reps}, {"token_source", source},
                        {"data_dir", temp ? "temp (removed)" : root}};
  nlohmann::json results = nlohmann::json::array();
  base::Status status = base::Status::Ok();
  for (int64_t n : sizes) {
    auto r = MeasureSize(setup, n);
    if (!r.ok()) {
      status = r.status().WithContext("bench session at " + std::to_string(n) + " tokens");
      break;
    }
    results.push_back(*r);
  }
  if (temp) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  if (!status.ok()) return ReportError(status);
  FillReprefill(&results);
  out["sizes"] = results;
  out["llama_cpp_reference"] = kLlamaCppReference;
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

}  // namespace

void RegisterBenchSessionCommand(CommandTable& table, CLI::App* bench) {
  auto flags = std::make_shared<BenchSessionFlags>();
  CLI::App* app = bench->add_subcommand("session", "Session checkpoint, resume, fork: time and bytes (JSON)");
  table.Track(app, [flags] { return RunBenchSession(*flags); });
  AddEngineFlags(app, &flags->engine);
  app->add_option("--tokens", flags->sizes, "session sizes, e.g. 8k,32k,128k,1m")
      ->delimiter(',')
      ->check([](const std::string& v) -> std::string {
        return ParseTokenCount(v) ? "" : "'" + v + "' is not a token count (e.g. 300, 8k, 1m)";
      });
  app->add_option("--step", flags->step, "tokens appended before the measured checkpoint")
      ->check(CLI::PositiveNumber);
  app->add_option("--reps", flags->reps, "resume repetitions (median reported)")->check(CLI::PositiveNumber);
  app->add_option("--data-dir", flags->data_dir, "keep the stores here (default: a temp dir, removed afterwards)");
  app->add_option("--reprefill-max", flags->reprefill_max,
                  "largest size re-prefilled for comparison; larger ones are extrapolated linearly")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("-q,--quiet", flags->quiet, "no progress on stderr");
}

}  // namespace cli
