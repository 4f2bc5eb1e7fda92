// `longhaul bench tools`: the code map's time, cold and warm, as JSON.
//
// Two repositories are measured side by side in one run:
// - `--repo DIR` (default: the current directory), read only: a cold map
//   (a new index each repetition) and a warm one (the same index, nothing
//   changed, so every file is reused);
// - a generated repository in a temp dir (C++, Python and TypeScript files
//   that call each other), where a warm re-map after editing one file is
//   measured too, without touching anything of the user's.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "tools/code_map.h"

namespace cli {
namespace {

struct BenchToolsFlags {
  std::string repo = ".";
  int reps = 5;
  int generated_files = 600;
  int64_t max_tokens = 4096;
};

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

nlohmann::json StatsJson(const tools::CodeMapStats& s) {
  return {{"files", s.files},   {"definitions", s.definitions}, {"references", s.references},
          {"parsed", s.parsed}, {"reused", s.reused},           {"skipped", s.skipped},
          {"map_bytes", s.map_bytes}, {"map_tokens", s.map_tokens}};
}

struct Timed {
  double ms = 0;
  tools::CodeMapStats stats;
};

base::Result<Timed> TimeMap(const std::string& root, size_t max_tokens, tools::CodeIndex& index) {
  const auto t0 = Clock::now();
  ASSIGN_OR_RETURN(tools::CodeMapStats stats, tools::BuildCodeMap(root, max_tokens, index));
  return Timed{std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), stats};
}

// Cold (fresh index), then warm (same index) `reps` times each; medians.
base::Result<nlohmann::json> ColdAndWarm(const std::string& root, const BenchToolsFlags& f) {
  std::vector<double> cold, warm;
  tools::CodeMapStats cold_stats, warm_stats;
  std::shared_ptr<tools::CodeIndex> index;
  for (int r = 0; r < f.reps; ++r) {
    index = tools::NewCodeIndex();
    ASSIGN_OR_RETURN(Timed t, TimeMap(root, static_cast<size_t>(f.max_tokens), *index));
    cold.push_back(t.ms);
    cold_stats = t.stats;
  }
  for (int r = 0; r < f.reps; ++r) {
    ASSIGN_OR_RETURN(Timed t, TimeMap(root, static_cast<size_t>(f.max_tokens), *index));
    warm.push_back(t.ms);
    warm_stats = t.stats;
  }
  const double cold_ms = Median(cold), warm_ms = Median(warm);
  return nlohmann::json{{"root", root},
                        {"cold_ms", cold_ms},
                        {"warm_ms", warm_ms},
                        {"cold_over_warm", warm_ms > 0 ? cold_ms / warm_ms : 0.0},
                        {"cold", StatsJson(cold_stats)},
                        {"warm", StatsJson(warm_stats)}};
}

base::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out ? base::Status::Ok() : base::IoError("cannot write " + path);
}

// A repository of n files in three languages, each defining a few symbols
// and calling symbols of earlier files, so the reference graph is real.
base::Status Generate(const std::string& root, int n) {
  std::error_code ec;
  for (const char* dir : {"/cpp", "/py", "/ts"}) std::filesystem::create_directories(root + dir, ec);
  if (ec) return base::IoError("cannot create " + root + ": " + ec.message());
  for (int i = 0; i < n; ++i) {
    const int a = i / 2, b = i / 3;  // callees in earlier files: a hub-heavy graph
    const std::string id = std::to_string(i);
    std::string text;
    switch (i % 3) {
      case 0:
        text = "#include <vector>\nnamespace gen {\nint helper_" + std::to_string(a) + "(int);\nclass Widget" + id +
               " {\n public:\n  int run(int x) { return helper_" + std::to_string(a) + "(x) + helper_" +
               std::to_string(b) + "(x); }\n};\nint helper_" + id + "(int x) { return x * " + id +
               "; }\n}  // namespace gen\n";
        RETURN_IF_ERROR(WriteText(root + "/cpp/w" + id + ".cc", text));
        break;
      case 1:
        text = "from lib import helper_" + std::to_string(a) + "\n\nclass Model" + id +
               ":\n    def step(self, x):\n        return helper_" + std::to_string(a) + "(x) + helper_" +
               std::to_string(b) + "(x)\n\n\ndef helper_" + id + "(x):\n    return x * " + id + "\n";
        RETURN_IF_ERROR(WriteText(root + "/py/m" + id + ".py", text));
        break;
      default:
        text = "import { helper_" + std::to_string(a) + " } from './lib';\nexport interface Shape" + id +
               " { area(): number; }\nexport function helper_" + id + "(x: number): number {\n  return helper_" +
               std::to_string(a) + "(x) + helper_" + std::to_string(b) + "(x) * " + id + ";\n}\n";
        RETURN_IF_ERROR(WriteText(root + "/ts/s" + id + ".ts", text));
        break;
    }
  }
  return base::Status::Ok();
}

base::Result<nlohmann::json> GeneratedRepo(const BenchToolsFlags& f) {
  std::error_code ec;
  const std::string root =
      (std::filesystem::temp_directory_path(ec) / ("longhaul-bench-tools-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(root, ec);
  RETURN_IF_ERROR(Generate(root, f.generated_files));
  auto measure = [&]() -> base::Result<nlohmann::json> {
    ASSIGN_OR_RETURN(nlohmann::json out, ColdAndWarm(root, f));
    // Edit one file per repetition and re-map: only it is re-parsed.
    std::vector<double> edited;
    tools::CodeMapStats stats;
    auto index = tools::NewCodeIndex();
    RETURN_IF_ERROR(TimeMap(root, static_cast<size_t>(f.max_tokens), *index).status());
    for (int r = 0; r < f.reps; ++r) {
      RETURN_IF_ERROR(WriteText(root + "/cpp/w0.cc", "namespace gen {\nint helper_0(int x) { return x + " +
                                                         std::to_string(r + 1) + "; }\n}\n"));
      ASSIGN_OR_RETURN(Timed t, TimeMap(root, static_cast<size_t>(f.max_tokens), *index));
      edited.push_back(t.ms);
      stats = t.stats;
    }
    out["edit_one_file_ms"] = Median(edited);
    out["edit_one_file"] = StatsJson(stats);
    out["edit_cold_over_warm"] = Median(edited) > 0 ? out["cold_ms"].get<double>() / Median(edited) : 0.0;
    return out;
  };
  auto out = measure();
  std::filesystem::remove_all(root, ec);
  return out;
}

int RunBenchTools(const BenchToolsFlags& f) {
  std::error_code ec;
  const std::string repo = std::filesystem::weakly_canonical(f.repo, ec).string();
  if (ec || !std::filesystem::is_directory(repo)) {
    return ReportError(base::NotFound("--repo " + f.repo + " is not a directory"));
  }
  auto real = ColdAndWarm(repo, f);
  if (!real.ok()) return ReportError(real.status().WithContext("code map of " + repo));
  auto generated = GeneratedRepo(f);
  if (!generated.ok()) return ReportError(generated.status().WithContext("code map of the generated repository"));
  const nlohmann::json out = {{"benchmark", "tools"},
                              {"tool", "code_map"},
                              {"reps", f.reps},
                              {"max_tokens", f.max_tokens},
                              {"repo", *real},
                              {"generated", *generated}};
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

}  // namespace

void RegisterBenchToolsCommand(CommandTable& table, CLI::App* bench) {
  auto flags = std::make_shared<BenchToolsFlags>();
  CLI::App* app = bench->add_subcommand("tools", "Code map time, cold and warm (JSON)");
  table.Track(app, [flags] { return RunBenchTools(*flags); });
  app->add_option("--repo", flags->repo, "repository to map, read only (default: the current directory)");
  app->add_option("--reps", flags->reps, "repetitions (medians reported)")->check(CLI::PositiveNumber);
  app->add_option("--generated-files", flags->generated_files, "files in the generated repository")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-tokens", flags->max_tokens, "the map's token budget")->check(CLI::Range(256, 1 << 20));
}

}  // namespace cli
