#include "engine/kv/policy.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace engine {
namespace {

base::Result<int64_t> ParseInt(std::string_view key, std::string_view value) {
  int64_t v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || ptr != end) {
    return base::InvalidArgument("kv policy: '" + std::string(key) + "' needs an integer, got '" +
                                 std::string(value) + "'");
  }
  return v;
}

base::Result<int> ParseSmallInt(std::string_view key, std::string_view value) {
  ASSIGN_OR_RETURN(int64_t v, ParseInt(key, value));
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return base::InvalidArgument("kv policy: '" + std::string(key) + "' is out of range: " + std::string(value));
  }
  return static_cast<int>(v);
}

// Sets a TieredParams field; InvalidArgument when `key` is not one of them.
base::Status SetTieredField(TieredParams* p, std::string_view key, std::string_view value) {
  int* field = nullptr;
  if (key == "sink") field = &p->n_sink;
  if (key == "window") field = &p->window;
  if (key == "unit") field = &p->unit;
  if (key == "block") field = &p->block;
  if (key == "topk") field = &p->top_k;
  if (key == "rerank") field = &p->rerank;
  if (key == "prefill_scale") field = &p->prefill_scale;
  if (key == "summary") field = &p->summary;
  if (key == "bits") field = &p->bits;
  if (key == "index_bits") field = &p->index_bits;
  if (field == nullptr) return base::InvalidArgument("kv policy: unknown key '" + std::string(key) + "'");
  ASSIGN_OR_RETURN(*field, ParseSmallInt(key, value));
  return base::Status::Ok();
}

// Appends "<prefix>key=value," for every field (GCC 12 warns falsely on
// long chains of string operator+, so this appends).
void AppendTieredFields(const TieredParams& p, const std::string& prefix, std::string* out) {
  const std::pair<const char*, int> fields[] = {{"sink", p.n_sink}, {"window", p.window}, {"unit", p.unit},
                                                {"block", p.block},  {"topk", p.top_k},    {"rerank", p.rerank}, {"prefill_scale", p.prefill_scale},
                                                {"summary", p.summary}, {"bits", p.bits}, {"index_bits", p.index_bits}};
  for (const auto& [key, value] : fields) {
    out->append(",").append(prefix).append(key).append("=").append(std::to_string(value));
  }
}

}  // namespace

TieredParams KvPolicy::ForLayer(int layer) const {
  TieredParams p = tiered;
  if (layer < n_dense_layers && dense_window > p.window) {
    p.window = static_cast<int>(std::min<int64_t>(dense_window, std::numeric_limits<int>::max()));
  }
  for (const KvLayerOverride& o : overrides) {
    if (o.layer == layer) p = o.params;
  }
  return p;
}

base::Status ValidateTieredParams(const TieredParams& p) {
  auto bad = [](const std::string& what) { return base::InvalidArgument("kv policy: " + what); };
  if (p.n_sink < 0) return bad("sink must be >= 0, got " + std::to_string(p.n_sink));
  if (p.unit <= 0 || p.unit > 256) return bad("unit must be in 1..256, got " + std::to_string(p.unit));
  if (p.block <= 0 || p.block > 1024 || p.block % p.unit != 0) {
    return bad("block must be a multiple of unit (" + std::to_string(p.unit) + ") up to 1024, got " +
               std::to_string(p.block));
  }
  if (p.window < p.block) {
    // A position leaves the ring only after its block closed, so the cold
    // store always covers what the window no longer holds.
    return bad("window (" + std::to_string(p.window) + ") must be >= block (" + std::to_string(p.block) + ")");
  }
  if (p.top_k < 0) return bad("topk must be >= 0, got " + std::to_string(p.top_k));
  if (p.rerank < 0 || p.rerank > 64) return bad("rerank must be in 0..64, got " + std::to_string(p.rerank));
  if (p.prefill_scale < 1 || p.prefill_scale > 16) {
    return bad("prefill_scale must be in 1..16, got " + std::to_string(p.prefill_scale));
  }
  if (p.summary != 0 && p.summary != p.block) {
    return bad("summary must be 0 (off) or equal to block (" + std::to_string(p.block) + "), got " +
               std::to_string(p.summary));
  }
  if (p.bits != 4 && p.bits != 16) return bad("bits must be 4 or 16, got " + std::to_string(p.bits));
  if (p.index_bits != 4 && p.index_bits != 8) {
    return bad("index_bits must be 4 or 8, got " + std::to_string(p.index_bits));
  }
  return base::Status::Ok();
}

base::Status ValidateKvPolicy(const KvPolicy& policy, int n_layer) {
  if (policy.kind == KvPolicy::Kind::kDense) return base::Status::Ok();
  RETURN_IF_ERROR(ValidateTieredParams(policy.tiered));
  if (policy.n_dense_layers < 0) return base::InvalidArgument("kv policy: dense_layers must be >= 0");
  if (policy.dense_window < 0) return base::InvalidArgument("kv policy: dense_window must be >= 0");
  if (policy.trained_ctx < 0) return base::InvalidArgument("kv policy: trained_ctx must be >= 0");
  if (policy.far_distance_cap < -1) return base::InvalidArgument("kv policy: far_cap must be >= -1");
  for (const KvLayerOverride& o : policy.overrides) {
    if (o.layer < 0 || (n_layer >= 0 && o.layer >= n_layer)) {
      return base::InvalidArgument("kv policy: override for layer " + std::to_string(o.layer) +
                                   " but the model has " + std::to_string(n_layer) + " layers");
    }
    RETURN_IF_ERROR(ValidateTieredParams(o.params).WithContext("layer " + std::to_string(o.layer)));
  }
  return base::Status::Ok();
}

base::Status SetKvPolicyOption(KvPolicy* policy, std::string_view key, std::string_view value) {
  if (key == "kv") {
    if (value == "dense") {
      policy->kind = KvPolicy::Kind::kDense;
    } else if (value == "tiered") {
      policy->kind = KvPolicy::Kind::kTiered;
    } else {
      return base::InvalidArgument("kv policy: kind must be dense or tiered, got '" + std::string(value) + "'");
    }
    return base::Status::Ok();
  }
  if (key.size() > 1 && key[0] == 'L') {  // L<n>.<field>
    const size_t dot = key.find('.');
    if (dot == std::string_view::npos) {
      return base::InvalidArgument("kv policy: per-layer key '" + std::string(key) + "' needs L<n>.<field>");
    }
    ASSIGN_OR_RETURN(int layer, ParseSmallInt(key, key.substr(1, dot - 1)));
    if (layer < 0) return base::InvalidArgument("kv policy: negative layer in '" + std::string(key) + "'");
    KvLayerOverride* o = nullptr;
    for (KvLayerOverride& e : policy->overrides) {
      if (e.layer == layer) o = &e;
    }
    if (o == nullptr) {
      policy->overrides.push_back({layer, policy->ForLayer(layer)});
      o = &policy->overrides.back();
    }
    return SetTieredField(&o->params, key.substr(dot + 1), value);
  }
  if (key == "dense_layers") {
    ASSIGN_OR_RETURN(policy->n_dense_layers, ParseSmallInt(key, value));
    return base::Status::Ok();
  }
  int64_t* wide = nullptr;
  if (key == "dense_window") wide = &policy->dense_window;
  if (key == "trained_ctx") wide = &policy->trained_ctx;
  if (key == "far_cap") wide = &policy->far_distance_cap;
  if (wide != nullptr) {
    ASSIGN_OR_RETURN(*wide, ParseInt(key, value));
    return base::Status::Ok();
  }
  return SetTieredField(&policy->tiered, key, value);
}

base::Result<KvPolicy> ParseKvPolicy(std::string_view text) {
  KvPolicy policy;
  const size_t colon = text.find(':');
  RETURN_IF_ERROR(SetKvPolicyOption(&policy, "kv", text.substr(0, colon)));
  std::vector<std::pair<std::string_view, std::string_view>> layer_items;
  if (colon != std::string_view::npos) {
    std::string_view rest = text.substr(colon + 1);
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return base::InvalidArgument("kv policy: expected key=value, got '" + std::string(item) + "'");
      }
      const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
      // Per-layer keys start from the final global values, whatever the order.
      if (key[0] == 'L') {
        layer_items.emplace_back(key, value);
      } else {
        RETURN_IF_ERROR(SetKvPolicyOption(&policy, key, value));
      }
    }
  }
  for (const auto& [key, value] : layer_items) RETURN_IF_ERROR(SetKvPolicyOption(&policy, key, value));
  RETURN_IF_ERROR(ValidateKvPolicy(policy));
  return policy;
}

std::string KvPolicyToString(const KvPolicy& policy) {
  if (policy.kind == KvPolicy::Kind::kDense) return "dense";
  std::string s = "tiered:";
  AppendTieredFields(policy.tiered, "", &s);
  s.erase(7, 1);  // the comma before the first field
  const std::pair<const char*, int64_t> globals[] = {{"dense_layers", policy.n_dense_layers},
                                                     {"dense_window", policy.dense_window},
                                                     {"trained_ctx", policy.trained_ctx},
                                                     {"far_cap", policy.far_distance_cap}};
  for (const auto& [key, value] : globals) s.append(",").append(key).append("=").append(std::to_string(value));
  for (const KvLayerOverride& o : policy.overrides) {
    std::string prefix = "L";
    prefix.append(std::to_string(o.layer)).append(".");
    AppendTieredFields(o.params, prefix, &s);
  }
  return s;
}

}  // namespace engine
