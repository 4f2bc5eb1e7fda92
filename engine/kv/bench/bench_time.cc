// Decode attention time per token: one layer, head_dim 128, 8 query heads
// over 2 KV heads, tiered against the dense fp16 cache at the same length.
// The layer is a regular tiered layer (dense_layers does not apply).
#include <chrono>
#include <cmath>
#include <functional>

#include "engine/cuda/device_kv.h"
#include "engine/kv/bench/sections.h"
#include "engine/kv/bench/synth.h"
#include "engine/kv/tiered/tiered_cache.h"

namespace engine::kv {
namespace {

constexpr int kHeadDim = 128, kHeads = 8, kKvHeads = 2;

// Hands n synthetic tokens of layer 0 to `store` in chunks.
base::Status Fill(const SynthStream& synth, int64_t n, const std::function<base::Status(const KvChunk&)>& store) {
  const int64_t chunk = 4096;
  const size_t row = static_cast<size_t>(kKvHeads) * kHeadDim;
  std::vector<float> k_pre(chunk * row), k(chunk * row), v(chunk * row);
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t m = std::min(chunk, n - first);
    synth.Generate(first, m, k_pre.data(), k.data(), v.data());
    RETURN_IF_ERROR(store({0, first, m, k.data(), v.data(), k_pre.data()}));
  }
  return base::Status::Ok();
}

base::Status Fill(AttentionCache* cache, const SynthStream& synth, int64_t n) {
  return Fill(synth, n, [cache](const KvChunk& c) { return cache->Store(c); });
}

// Median seconds of one decode Attend at the last position, over reps
// different queries.
double TimeAttend(AttentionCache* cache, const SynthStream& synth, int64_t n, int reps, base::ThreadPool* pool) {
  std::vector<float> q(static_cast<size_t>(kHeads) * kHeadDim), out(q.size());
  std::vector<double> secs;
  for (int r = -1; r < reps; ++r) {  // one untimed warm-up
    for (int h = 0; h < kHeads; ++h) {
      synth.RandomKey(0xabc000 + static_cast<uint64_t>(r + 1) * 16 + h, &q[static_cast<size_t>(h) * kHeadDim]);
    }
    const auto t0 = std::chrono::steady_clock::now();
    cache->Attend({0, n - 1, 1, q.data(), out.data()}, pool);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r >= 0) secs.push_back(s);
  }
  return Quantile(secs, 0.5);
}

// The same on the device tiers: the rows go up through StoreHostRows; the
// timed part is one Attend queued on the device and waited for, with the
// query already there (the forward pass never moves it).
class DeviceTimer {
 public:
  static base::Result<DeviceTimer> Make(kernels::Gpu* gpu, std::unique_ptr<AttentionCache> host) {
    DeviceTimer t;
    t.gpu_ = gpu;
    ASSIGN_OR_RETURN(t.kv_, cuda::NewDeviceKv(gpu, std::move(host)));
    ASSIGN_OR_RETURN(t.q_, gpu->Alloc(sizeof(float) * kHeads * kHeadDim));
    ASSIGN_OR_RETURN(t.out_, gpu->Alloc(sizeof(float) * kHeads * kHeadDim));
    return t;
  }

  base::Status Fill(const SynthStream& synth, int64_t n) {
    const bool pre = kv_->host().wants_pre_rope_keys();
    RETURN_IF_ERROR(kv::Fill(synth, n, [&](KvChunk c) {
      if (!pre) c.k_pre_rope = nullptr;  // the dense tiers would upload them for nothing
      return cuda::StoreHostRows(gpu_, kv_.get(), c, &rows_);
    }));
    return gpu_->Synchronize();
  }

  base::Result<double> Time(const SynthStream& synth, int64_t n, int reps) {
    std::vector<float> q(static_cast<size_t>(kHeads) * kHeadDim);
    std::vector<double> secs;
    for (int r = -1; r < reps; ++r) {  // one untimed warm-up
      for (int h = 0; h < kHeads; ++h) {
        synth.RandomKey(0xabc000 + static_cast<uint64_t>(r + 1) * 16 + h, &q[static_cast<size_t>(h) * kHeadDim]);
      }
      RETURN_IF_ERROR(gpu_->CopyToDevice(q_.get(), q.data(), q.size() * sizeof(float)));
      RETURN_IF_ERROR(gpu_->Synchronize());
      const auto t0 = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(kv_->Attend({0, n - 1, 1, q_.as<float>(), out_.as<float>()}));
      RETURN_IF_ERROR(gpu_->Synchronize());
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r >= 0) secs.push_back(s);
    }
    return Quantile(secs, 0.5);
  }

  size_t device_bytes() const { return kv_->device_bytes(); }

 private:
  kernels::Gpu* gpu_ = nullptr;
  std::unique_ptr<cuda::DeviceKv> kv_;
  cuda::DeviceRowStaging rows_;
  kernels::DeviceBuffer q_, out_;  // [n_head][head_dim]
};

}  // namespace

base::Result<nlohmann::json> BenchDecodeTime(const BenchContext& ctx) {
  KvPolicy policy = ctx.policy;
  policy.n_dense_layers = 0;
  SynthSpec spec;
  spec.head_dim = kHeadDim;
  spec.n_head_kv = kKvHeads;
  const SynthStream synth(spec);
  nlohmann::json out;
  out["geometry"] = {{"head_dim", kHeadDim}, {"n_head", kHeads}, {"n_head_kv", kKvHeads}, {"layers", 1}};
  out["policy"] = KvPolicyToString(policy);
  out["threads"] = ctx.pool->num_threads();
  out["device"] = ctx.gpu != nullptr;
  nlohmann::json rows = nlohmann::json::array();
  double last_dense = 0, last_dense_n = 0;
  for (int64_t n : ctx.options->time_lengths) {
    AttentionCacheConfig config{1, kHeads, kKvHeads, kHeadDim, n, KvType::kF16};
    nlohmann::json row;
    row["tokens"] = n;
    if (ctx.gpu != nullptr) {
      Progress(ctx, "time: device tiered at " + std::to_string(n));
      ASSIGN_OR_RETURN(std::unique_ptr<TieredCache> tiered, TieredCache::Create(config, policy, synth.rope()));
      ASSIGN_OR_RETURN(DeviceTimer timer, DeviceTimer::Make(ctx.gpu, std::move(tiered)));
      RETURN_IF_ERROR(timer.Fill(synth, n));
      ASSIGN_OR_RETURN(const double s, timer.Time(synth, n, ctx.options->time_reps));
      row["tiered_s"] = s;
      row["tiered_device_bytes"] = timer.device_bytes();
    } else {
      Progress(ctx, "time: tiered at " + std::to_string(n));
      ASSIGN_OR_RETURN(std::unique_ptr<TieredCache> tiered, TieredCache::Create(config, policy, synth.rope()));
      RETURN_IF_ERROR(Fill(tiered.get(), synth, n));
      row["tiered_s"] = TimeAttend(tiered.get(), synth, n, ctx.options->time_reps, ctx.pool);
      const AttendStats& st = tiered->last_stats();
      row["exact_rows"] = st.exact_rows;
      row["candidate_units"] = st.candidate_units;
      row["selected_units"] = st.selected_units;
      row["tiered_hot_bytes"] = tiered->bytes().hot();
    }
    if (n <= ctx.options->dense_time_max) {
      Progress(ctx, "time: dense at " + std::to_string(n));
      std::unique_ptr<AttentionCache> dense = NewDenseCache(config);
      if (ctx.gpu != nullptr) {
        ASSIGN_OR_RETURN(DeviceTimer timer, DeviceTimer::Make(ctx.gpu, std::move(dense)));
        RETURN_IF_ERROR(timer.Fill(synth, n));
        ASSIGN_OR_RETURN(last_dense, timer.Time(synth, n, ctx.options->time_reps));
      } else {
        RETURN_IF_ERROR(Fill(dense.get(), synth, n));
        last_dense = TimeAttend(dense.get(), synth, n, ctx.options->time_reps, ctx.pool);
      }
      last_dense_n = static_cast<double>(n);
      row["dense_s"] = last_dense;
      row["dense_timed"] = true;
    } else {
      // Dense attention is linear in n: scale the longest timed run.
      row["dense_s"] = last_dense * static_cast<double>(n) / std::max(1.0, last_dense_n);
      row["dense_timed"] = false;
      row["dense_note"] = "extrapolated linearly from " + std::to_string(static_cast<int64_t>(last_dense_n));
    }
    row["ratio"] = row["tiered_s"].get<double>() / std::max(1e-12, row["dense_s"].get<double>());
    rows.push_back(row);
  }
  out["lengths"] = rows;
  return out;
}

}  // namespace engine::kv
