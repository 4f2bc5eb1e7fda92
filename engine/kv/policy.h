// KvPolicy: how each layer's KV cache is kept (DESIGN.md section 4).
//
// kDense keeps every position exactly (dense_cache.cc). kTiered keeps, per
// layer and KV head:
//   exact     the first n_sink positions and a ring of the last `window`, fp16;
//   selection an index of per-`unit` key envelopes, scored every step; the
//             top_k units are attended exactly from the cold store;
//             with rerank = r > 0 the top r * top_k units by bound are
//             re-scored on their 4-bit keys (log-sum-exp of the logits) first;
//   summary   optional coarse rows (mean key / mean value per `summary`
//             tokens) that keep unselected mass in the softmax;
//   cold      every position, quantized per `block` (bits = 4: K int4 per
//             channel pre-RoPE, V int4 per token in groups of 32; bits = 16:
//             fp16, the ablation that isolates quantization).
// Layers [0, n_dense_layers) keep an exact window of dense_window positions:
// dense up to that many tokens, tiered beyond it. Individual layers can be
// overridden (`L3.window=4096` in the text form).
//
// Contexts longer than the model was trained for: far rows (sinks and
// selected units) are re-rotated from their pre-RoPE keys so that no query
// sees a relative distance above far_distance_cap (InfLLM-style position
// capping, keeping order inside the cap). The window keeps true distances
// and is clamped to the cap.
//
// Text form (what `--kv` takes), e.g.
//   "dense" | "tiered" | "tiered:window=2048,topk=256,dense_layers=2,L1.topk=512"
// Keys: sink window unit block topk rerank prefill_scale summary bits index_bits
//       dense_layers dense_window trained_ctx far_cap; per layer: L<n>.<any of
//       the first ten>.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace engine {

// Parameters of one tiered layer. The defaults differ from DESIGN.md's
// starting point (8-token units, int8, top-k 256) by measurement: with
// outlier-channel keys, 8-token boxes ranked a needle's unit only in the
// top 3.5% (p90) of units, 4-token boxes in the top 0.1%, and int4 boxes
// at 4 tokens cost the same hot bytes as int8 at 8 (`bench kv`, issue note).
struct TieredParams {
  int n_sink = 128;    // first positions kept exactly
  int window = 2048;   // W: most recent positions kept exactly (>= block)
  int unit = 4;        // scoring granularity: tokens per index entry
  int block = 32;      // storage block: tokens per closed, immutable cold block
  int top_k = 512;     // units attended exactly per (chunk, KV head)
  int rerank = 4;      // shortlist of rerank * top_k units re-scored on 4-bit keys; 0: off
  int prefill_scale = 2;  // a chunk of n > 1 queries selects top_k * min(prefill_scale, n) units
  int summary = 0;     // tokens per summary row (0: no summary tier, or == block)
  int bits = 4;        // cold store: 4 (int4) or 16 (fp16)
  int index_bits = 4;  // selection index envelopes: 8 or 4 bits

  bool operator==(const TieredParams&) const = default;
};

struct KvLayerOverride {
  int layer = 0;
  TieredParams params;
};

struct KvPolicy {
  enum class Kind { kDense, kTiered };
  Kind kind = Kind::kDense;
  TieredParams tiered;             // every tiered layer, unless overridden
  int n_dense_layers = 2;          // layers [0, n) keep an exact window of
  int64_t dense_window = 8192;     //   dense_window positions (dense up to it)
  int64_t trained_ctx = 0;         // positions the model was trained on; 0: its metadata
  int64_t far_distance_cap = 0;    // 0: 3/4 of trained_ctx; -1: never re-rotate
  std::vector<KvLayerOverride> overrides;  // applied last, in order

  // The parameters layer `layer` runs with (dense-layer rule, then overrides).
  TieredParams ForLayer(int layer) const;
};

// Parses the text form above. Unknown keys and bad numbers are errors that
// name the offending item; the result is validated (ValidateKvPolicy).
base::Result<KvPolicy> ParseKvPolicy(std::string_view text);

// Sets one key (as in the text form) on `policy`; "kv" takes dense|tiered.
base::Status SetKvPolicyOption(KvPolicy* policy, std::string_view key, std::string_view value);

// Checks every parameter; n_layer < 0 skips the per-layer-index check.
base::Status ValidateKvPolicy(const KvPolicy& policy, int n_layer = -1);
base::Status ValidateTieredParams(const TieredParams& p);

// The canonical text form (round-trips through ParseKvPolicy).
std::string KvPolicyToString(const KvPolicy& policy);

}  // namespace engine
