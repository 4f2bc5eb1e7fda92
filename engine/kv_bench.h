// Measurements of the compressed KV cache (DESIGN.md section 4), for
// `longhaul bench kv --json`. Benchmarks report; they assert nothing.
//
// Sections (each can be switched off):
//   bytes     bytes per token, stored and hot, vs a dense fp16 cache
//   time      decode attention time per token, tiered vs dense (d = 128)
//   recall    synthetic associative recall with a pinned haystack
//   models    operator fidelity on real Q/K/V, stories260K KL and ablations
//             (needs testdata)
//   prefill   prefill/decode speed of tiny-llama-spm at prefill_tokens
//             (off unless prefill_tokens > 0)
// Threading: RunKvBench uses its own thread pool of `threads` threads.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"

namespace engine {

struct KvBenchOptions {
  std::string policy = "tiered";   // tiered policy under test (KvPolicy text form)
  std::string testdata;            // shared/testdata; empty skips the model sections
  int threads = 2;
  // "cpu", or "cuda" / "cuda:<n>": the time section then times the CUDA
  // backend's device tiers (tiered and dense) instead of the CPU caches.
  std::string backend = "cpu";
  bool bytes = true, time = true, recall = true, models = true;
  std::vector<int64_t> byte_lengths = {32768, 131072, 1048576};
  std::vector<int64_t> time_lengths = {4096, 32768, 131072, 1048576};
  int64_t dense_time_max = 1048576;  // dense timed up to here, extrapolated (and labelled) beyond
  int time_reps = 5;
  std::vector<int64_t> recall_lengths = {32768, 131072};
  std::vector<float> recall_bases = {1e4f, 1e6f};
  int recall_queries = 16;         // per depth
  int recall_depths = 11;          // 0%, 10%, ..., 100%
  int64_t model_tokens = 512;      // stories260K is trained at 512
  bool model_informative_2048 = true;
  int64_t prefill_tokens = 0;      // > 0: the prefill section at this length
  int64_t prefill_decode_tokens = 16;
};

// Runs the selected sections and returns one JSON object as text.
// Progress lines go to `log` when it is not null.
base::Result<std::string> RunKvBench(const KvBenchOptions& options, std::ostream* log);

}  // namespace engine
