// The KV cache of the CUDA backend: device tiers in front of the CPU
// backend's own cache.
//
// The host cache (dense or tiered, exactly what the CPU backend would
// build) stays the one authority for everything a checkpoint writes:
// closed blocks, their cold payloads and the live state. The forward pass
// copies each chunk's keys and values back to it, so a session
// checkpointed on CUDA resumes on the CPU and the reverse, byte for byte
// in the same formats. The device holds what attention reads every step:
//   dense   every row, fp16 or fp32, as the host cache's type;
//   tiered  the hot set (sinks, ring, selection index, summaries) in device
//           memory, cold pages in pinned host memory (tiered.h).
//
// Protocol per chunk of the forward pass, for each layer:
//   Store(device rows) -> Attend(device queries)
// then, once the host cache has taken every layer's rows of the chunk:
//   AfterHostStore()   (uploads what the host closed: index, summaries, cold)
// After host().Truncate: AfterHostTruncate(); after host().Restore: Reload().
//
// Threading: as AttentionCache: one thread at a time, ops on the Gpu's
// stream.
#pragma once

#include <cstddef>
#include <memory>

#include "base/status.h"
#include "engine/kv/attention_cache.h"
#include "kernels/gpu.h"

namespace engine::cuda {

class DeviceKv {
 public:
  virtual ~DeviceKv() = default;

  virtual AttentionCache& host() = 0;
  virtual const AttentionCache& host() const = 0;

  // One layer's rows; every pointer of `chunk` is a device pointer
  // (k_pre_rope is set when host().wants_pre_rope_keys()).
  virtual base::Status Store(const KvChunk& chunk) = 0;
  // One layer's attention; q and out are device pointers.
  virtual base::Status Attend(const AttentionBatch& batch) = 0;
  virtual base::Status AfterHostStore() = 0;
  // Closed blocks below the host's new position are unchanged, so only the
  // live tiers (sinks, ring) and the blocks past it are redone.
  virtual base::Status AfterHostTruncate() = 0;
  // Everything again, from the host (after a Restore).
  virtual base::Status Reload() = 0;
  // Device memory held (the hot set, for the tiered cache).
  virtual size_t device_bytes() const = 0;
  // Graph capture of decode steps (kernels::GpuGraph): when capturable(),
  // StoreAt and AttendAt issue only device work, reading the chunk's
  // position from `device_pos` when the work runs, so one capture replays
  // at every position. The tiered tiers plan each step on the host, so
  // they are not capturable.
  virtual bool capturable() const { return false; }
  virtual base::Status StoreAt(const KvChunk& /*chunk*/, const int64_t* /*device_pos*/) {
    return base::Unsupported("these KV tiers cannot be captured in a graph");
  }
  virtual base::Status AttendAt(const AttentionBatch& /*batch*/, const int64_t* /*device_pos*/) {
    return base::Unsupported("these KV tiers cannot be captured in a graph");
  }
  // The most tokens one chunk may hold so that every row a chunk's queries
  // read outside the chunk's own rows is on the device before it starts.
  virtual int64_t max_chunk_tokens() const = 0;
};

// Device buffers for one chunk of host rows on their way up (k, v, k_pre:
// [n][n_head_kv * head_dim] f32 each), grown on demand.
struct DeviceRowStaging {
  kernels::DeviceBuffer k, v, k_pre;
};

// Stores one layer's host rows in both tiers: uploads them through
// `staging`, Store on the device, Store on the host, and after the last
// layer AfterHostStore. What a host caller does instead of the forward pass.
base::Status StoreHostRows(kernels::Gpu* gpu, DeviceKv* kv, const KvChunk& host_chunk, DeviceRowStaging* staging);

// Builds the device tiers for `host` (a dense or tiered cache from
// NewAttentionCache). `gpu` is not owned and must outlive the result.
base::Result<std::unique_ptr<DeviceKv>> NewDeviceKv(kernels::Gpu* gpu, std::unique_ptr<AttentionCache> host);

// A DeviceKv behind the AttentionCache interface, for host callers (the
// KV benchmark, tests): Store uploads the rows and stores them in both
// tiers; Attend uploads the queries and downloads the output. Checkpoint
// calls go to the host cache.
base::Result<std::unique_ptr<AttentionCache>> NewDeviceAttentionCache(kernels::Gpu* gpu,
                                                                      std::unique_ptr<AttentionCache> host);

}  // namespace engine::cuda
