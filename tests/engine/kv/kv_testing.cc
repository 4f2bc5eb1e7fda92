#include "tests/engine/kv/kv_testing.h"

#include <algorithm>
#include <cmath>

#include "engine/quant/fp16.h"

namespace kvtest {

engine::AttentionCacheConfig ConfigFor(const Geometry& g) {
  engine::AttentionCacheConfig c;
  c.n_layer = g.n_layer;
  c.n_head = g.n_head;
  c.n_head_kv = g.n_head_kv;
  c.head_dim = g.head_dim;
  c.capacity = g.capacity;
  return c;
}

void RotateExact(const engine::KvRope& rope, int d, double pos, float* x) {
  const int half = d / 2;
  for (int i = 0; i < half; ++i) {
    const double theta = pos * rope.freq_scale * std::pow(static_cast<double>(rope.freq_base), -2.0 * i / d);
    const double c = std::cos(theta), s = std::sin(theta);
    const int ia = rope.style == engine::RopeStyle::kAdjacent ? 2 * i : i;
    const int ib = rope.style == engine::RopeStyle::kAdjacent ? 2 * i + 1 : i + half;
    const double a = x[ia], b = x[ib];
    x[ia] = static_cast<float>(a * c - b * s);
    x[ib] = static_cast<float>(a * s + b * c);
  }
}

void RotateSequence(const Geometry& g, Sequence* s, const std::vector<float>& q_pre) {
  const int d = g.head_dim;
  s->k_post = s->k_pre;
  s->q = q_pre;
  for (int64_t t = 0; t < s->n; ++t) {
    for (int h = 0; h < g.n_head_kv; ++h) RotateExact(g.rope, d, static_cast<double>(t), &s->k_post[(t * g.n_head_kv + h) * d]);
    for (int h = 0; h < g.n_head; ++h) RotateExact(g.rope, d, static_cast<double>(t), &s->q[(t * g.n_head + h) * d]);
  }
}

Sequence RandomSequence(const Geometry& g, int64_t n, uint32_t seed, float outlier_scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int d = g.head_dim;
  Sequence s;
  s.n = n;
  const size_t kv = static_cast<size_t>(n) * g.n_head_kv * d;
  s.k_pre.resize(kv);
  s.v.resize(kv);
  std::vector<float> q_pre(static_cast<size_t>(n) * g.n_head * d);
  for (size_t i = 0; i < kv; ++i) {
    const int ch = static_cast<int>(i % d);
    // Every third channel is an outlier channel, as real keys have.
    s.k_pre[i] = normal(rng) * (ch % 3 == 1 ? outlier_scale : 1.0f);
    s.v[i] = normal(rng);
  }
  for (float& x : q_pre) x = normal(rng);
  RotateSequence(g, &s, q_pre);
  return s;
}

std::vector<float> RoundF16(const std::vector<float>& x) {
  std::vector<float> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) r[i] = engine::RoundToF16(x[i]);
  return r;
}

std::vector<float> ExactAttention(const Geometry& g, const std::vector<float>& q, const std::vector<float>& k,
                                  const std::vector<float>& v, int64_t first, int64_t n) {
  const int d = g.head_dim, group = g.n_head / g.n_head_kv;
  std::vector<float> out(static_cast<size_t>(n) * g.n_head * d);
  std::vector<double> w;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = first + t;
    for (int h = 0; h < g.n_head; ++h) {
      const int kvh = h / group;
      const float* qh = &q[((pos)*g.n_head + h) * d];
      w.assign(static_cast<size_t>(pos + 1), 0.0);
      double mx = -1e300;
      for (int64_t j = 0; j <= pos; ++j) {
        const float* kj = &k[(j * g.n_head_kv + kvh) * d];
        double s = 0;
        for (int c = 0; c < d; ++c) s += static_cast<double>(qh[c]) * kj[c];
        w[static_cast<size_t>(j)] = s / std::sqrt(static_cast<double>(d));
        mx = std::max(mx, w[static_cast<size_t>(j)]);
      }
      double sum = 0;
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (int c = 0; c < d; ++c) {
        double acc = 0;
        for (int64_t j = 0; j <= pos; ++j) acc += w[static_cast<size_t>(j)] * v[(j * g.n_head_kv + kvh) * d + c];
        out[(t * g.n_head + h) * d + c] = static_cast<float>(acc / sum);
      }
    }
  }
  return out;
}

engine::KvChunk ChunkOf(const Geometry& g, const Sequence& s, int layer, int64_t first, int64_t n) {
  const size_t row = static_cast<size_t>(g.n_head_kv) * g.head_dim;
  engine::KvChunk c;
  c.layer = layer;
  c.first_pos = first;
  c.n_tokens = n;
  c.k = &s.k_post[first * row];
  c.v = &s.v[first * row];
  c.k_pre_rope = &s.k_pre[first * row];
  return c;
}

engine::AttentionBatch BatchOf(const Geometry& g, const Sequence& s, int layer, int64_t first, int64_t n,
                               float* out) {
  engine::AttentionBatch b;
  b.layer = layer;
  b.first_pos = first;
  b.n_tokens = n;
  b.q = &s.q[first * static_cast<size_t>(g.n_head) * g.head_dim];
  b.out = out;
  return b;
}

double RelMaxError(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return err / std::max(scale, 1e-30);
}

}  // namespace kvtest
