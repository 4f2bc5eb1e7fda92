// The sections of `longhaul bench kv` (engine/kv_bench.h). Each returns a
// JSON object; RunKvBench assembles them.
//
// Threading: each section runs on the calling thread and fans work out over
// ctx.pool.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "engine/kv/policy.h"
#include "engine/kv_bench.h"
#include "kernels/gpu.h"

namespace engine::kv {

struct BenchContext {
  const KvBenchOptions* options = nullptr;
  KvPolicy policy;  // the tiered policy under test
  base::ThreadPool* pool = nullptr;
  std::ostream* log = nullptr;  // progress lines; may be null
  kernels::Gpu* gpu = nullptr;  // set for --backend cuda: the time section runs there
};

void Progress(const BenchContext& ctx, const std::string& line);

// Bytes per token, stored and hot, against dense fp16, per geometry and length.
base::Result<nlohmann::json> BenchBytes(const BenchContext& ctx);
// Decode attention time per token, tiered vs dense, d = 128.
base::Result<nlohmann::json> BenchDecodeTime(const BenchContext& ctx);
// Synthetic associative recall (needle selection rate and output error by depth).
base::Result<nlohmann::json> BenchRecall(const BenchContext& ctx);
// Operator fidelity on real Q/K/V, model-level KL on stories260K, ablations.
base::Result<nlohmann::json> BenchModels(const BenchContext& ctx);
// Prefill and decode throughput of a tiny model with the tiered cache at length n.
base::Result<nlohmann::json> BenchPrefill(const BenchContext& ctx);

// Quantiles of v (sorted copy); q in [0, 1].
double Quantile(std::vector<double> v, double q);
double Mean(const std::vector<double>& v);

}  // namespace engine::kv
