// `longhaul bench kv`: measurements of the compressed KV cache as one JSON
// object on stdout (engine/kv_bench.h); progress on stderr.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "agent/cli/command.h"
#include "engine/engine.h"
#include "engine/kv_bench.h"

namespace cli {
namespace {

struct BenchKvFlags {
  engine::KvBenchOptions options;
  std::string sections = "bytes,time,recall,models";
  bool json = true;
  bool full = false;
  bool quiet = false;
};

int RunBenchKv(BenchKvFlags f) {
  engine::KvBenchOptions& o = f.options;
  auto has = [&](const char* s) { return ("," + f.sections + ",").find(std::string(",") + s + ",") != std::string::npos; };
  o.bytes = has("bytes");
  o.time = has("time");
  o.recall = has("recall");
  o.models = has("models");
  if (o.testdata.empty()) {
    const char* env = std::getenv("LONGHAUL_TESTDATA");
    o.testdata = env ? env : "";
  }
  if (f.full) {
    o.recall_lengths = {32768, 131072, 1048576};
  }
  auto result = engine::RunKvBench(o, f.quiet ? nullptr : &std::cerr);
  if (!result.ok()) return ReportError(result.status());
  std::cout << *result << "\n";
  return kExitOk;
}

}  // namespace

void RegisterBenchKvCommand(CommandTable& table, CLI::App* bench) {
  auto flags = std::make_shared<BenchKvFlags>();
  CLI::App* kv = bench->add_subcommand("kv", "Compressed KV cache: bytes, speed, fidelity (JSON)");
  table.Track(kv, [flags] { return RunBenchKv(*flags); });
  engine::KvBenchOptions& o = flags->options;
  kv->add_flag("--json", flags->json, "print JSON (the only format)");
  kv->add_option("--kv", o.policy, "tiered policy under test, e.g. tiered:window=2048,topk=256");
  kv->add_option("--testdata", o.testdata, "shared/testdata directory (default: $LONGHAUL_TESTDATA)");
  kv->add_option("-t,--threads", o.threads, "threads")->check(CLI::PositiveNumber);
  kv->add_option("--backend", o.backend,
                 "cpu, or cuda[:<n>]: the time section times the device tiers (the rest stays on the CPU)")
      ->check([](const std::string& value) -> std::string {
        if (value == "auto") return "bench kv takes cpu or cuda[:<n>]";
        base::Status s = engine::ValidateBackendName(value);
        return s.ok() ? "" : s.message();
      });
  kv->add_option("--sections", flags->sections, "comma list of bytes,time,recall,models");
  kv->add_flag("--full", flags->full, "also run recall at 1M tokens (several minutes)");
  kv->add_option("--time-lengths", o.time_lengths, "decode-time lengths")->delimiter(',');
  kv->add_option("--dense-time-max", o.dense_time_max, "longest length dense is timed at (then extrapolated)");
  kv->add_option("--recall-lengths", o.recall_lengths, "recall haystack lengths")->delimiter(',');
  kv->add_option("--recall-queries", o.recall_queries, "needles per depth")->check(CLI::PositiveNumber);
  kv->add_option("--byte-lengths", o.byte_lengths, "lengths for bytes per token")->delimiter(',');
  kv->add_option("--model-tokens", o.model_tokens, "stories260K fidelity length (trained at 512)");
  kv->add_option("--prefill", o.prefill_tokens, "also prefill tiny-llama-spm with this many tokens");
  kv->add_option("--prefill-decode", o.prefill_decode_tokens, "decode steps after --prefill");
  kv->add_flag("-q,--quiet", flags->quiet, "no progress on stderr");
}

}  // namespace cli
