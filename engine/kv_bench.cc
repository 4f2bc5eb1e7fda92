#include "engine/kv_bench.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "engine/engine.h"
#include "engine/kv/bench/sections.h"

namespace engine {

base::Result<std::string> RunKvBench(const KvBenchOptions& options, std::ostream* log) {
  if (options.threads <= 0) return base::InvalidArgument("bench kv: threads must be positive");
  ASSIGN_OR_RETURN(KvPolicy policy, ParseKvPolicy(options.policy));
  if (policy.kind != KvPolicy::Kind::kTiered) {
    return base::InvalidArgument("bench kv measures the tiered cache; --kv must be tiered[:...]");
  }
  base::ThreadPool pool(options.threads);
  kv::BenchContext ctx{&options, policy, &pool, log, nullptr};
  std::unique_ptr<kernels::Gpu> gpu;
  if (options.backend != "cpu") {
    RETURN_IF_ERROR(ValidateBackendName(options.backend));
    if (!options.backend.starts_with("cuda")) return base::InvalidArgument("bench kv: --backend is cpu or cuda[:<n>]");
    const int device = options.backend.size() > 5 ? std::atoi(options.backend.c_str() + 5) : 0;
    ASSIGN_OR_RETURN(gpu, kernels::Gpu::Open(device));
    ctx.gpu = gpu.get();
  }
  nlohmann::json out;
  out["bench"] = "kv";
  out["backend"] = gpu != nullptr ? "cuda:" + std::to_string(gpu->info().index) + " (" + gpu->info().name + ")" : "cpu";
  out["policy"] = KvPolicyToString(policy);
  out["threads"] = options.threads;
  out["kernels"] = CpuKernelName();
  const bool have_data =
      !options.testdata.empty() && std::filesystem::exists(options.testdata + "/models/stories260K.gguf");
  auto run = [&](const char* name, bool enabled, auto&& section) -> base::Status {
    if (!enabled) return base::Status::Ok();
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(nlohmann::json j, section(ctx));
    j["section_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out[name] = std::move(j);
    return base::Status::Ok();
  };
  RETURN_IF_ERROR(run("bytes", options.bytes, kv::BenchBytes));
  RETURN_IF_ERROR(run("decode_time", options.time, kv::BenchDecodeTime));
  RETURN_IF_ERROR(run("recall", options.recall, kv::BenchRecall));
  if (options.models && !have_data) {
    out["models"] = {{"skipped", "testdata not found (set --testdata or LONGHAUL_TESTDATA)"}};
  }
  RETURN_IF_ERROR(run("models", options.models && have_data, kv::BenchModels));
  if (options.prefill_tokens > 0 && !have_data) return base::NotFound("bench kv --prefill needs the testdata models");
  RETURN_IF_ERROR(run("prefill", options.prefill_tokens > 0, kv::BenchPrefill));
  return out.dump(2);
}

}  // namespace engine
