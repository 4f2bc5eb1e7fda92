// MatMul and the vec helpers: every kernel level against the scalar
// reference, MatMul against float64 references, and scratch reuse.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "engine/quant/act_convert.h"
#include "engine/quant/cpu_features.h"
#include "engine/quant/fp16.h"
#include "engine/quant/kernels.h"
#include "engine/quant/matmul.h"
#include "engine/quant/vec.h"
#include "tests/engine/quant/quant_test_util.h"

namespace {

using engine::GgmlType;
using engine::KernelLevel;

// Restores the detected level when a test that switches levels ends.
struct LevelGuard {
  KernelLevel saved = engine::BestKernelLevel();
  ~LevelGuard() { engine::SetKernelLevelForTesting(saved); }
};

// Column counts that exercise each family's tails: odd block counts for
// the 32-blocks, non-multiples of 16 for the float types.
std::vector<int64_t> ColsFor(GgmlType t) {
  switch (t) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16: return {7, 37, 64, 300};
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0: return {32, 96, 288};
    default: return {256, 768};
  }
}

// sum_c |W[r][c]| |x[t][c]|: the scale a float rounding error is relative to.
std::vector<double> AbsScale(const std::vector<float>& w, const std::vector<float>& x, int64_t rows, int64_t cols,
                             int64_t n_tokens) {
  std::vector<double> s(static_cast<size_t>(rows * n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double acc = 0;
      for (int64_t c = 0; c < cols; ++c) acc += std::fabs(double(w[r * cols + c]) * x[t * cols + c]);
      s[t * rows + r] = acc;
    }
  }
  return s;
}

// Activations as ggml's CPU backend rounds them, computed independently of
// act_convert.cc (testdata README section 7).
std::vector<float> GgmlRoundedActivations(GgmlType t, const std::vector<float>& x, int64_t cols) {
  std::vector<float> out(x.size());
  const int64_t n = static_cast<int64_t>(x.size());
  switch (t) {
    case GgmlType::kF32: return x;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) out[i] = engine::RoundToF16(x[i]);
      return out;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) out[i] = engine::RoundToBF16(x[i]);
      return out;
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
      for (int64_t b = 0; b < n; b += 32) {
        float amax = 0;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b + i]));
        const float d = engine::RoundToF16(amax / 127.0f);
        const float id = amax != 0 ? 127.0f / amax : 0.0f;
        for (int i = 0; i < 32; ++i) out[b + i] = std::nearbyint(x[b + i] * id) * d;
      }
      return out;
    default:
      for (int64_t b = 0; b < n; b += 256) {
        float amax = 0, max = 0;
        for (int i = 0; i < 256; ++i) {
          if (std::fabs(x[b + i]) > amax) amax = std::fabs(x[b + i]), max = x[b + i];
        }
        const float iscale = amax != 0 ? -127.0f / max : 0.0f;
        const float d = amax != 0 ? 1 / iscale : 0.0f;
        for (int i = 0; i < 256; ++i) out[b + i] = std::min(127.0f, std::nearbyint(iscale * x[b + i])) * d;
      }
      (void)cols;
      return out;
  }
}

}  // namespace

TEST_CASE("Every kernel level matches the scalar kernels for every type and shape", "[quant][matmul]") {
  LevelGuard guard;
  base::ThreadPool pool(3);
  engine::MatmulScratch scratch;
  std::mt19937 rng(42);
  const std::vector<KernelLevel> levels = engine::AvailableKernelLevels();
  INFO("levels available: " << levels.size());
  for (GgmlType type : quant_test::kComputeTypes) {
    for (int64_t cols : ColsFor(type)) {
      for (int64_t rows : {1, 5, 37}) {
        const std::vector<uint8_t> w = quant_test::RandomWeights(&rng, type, rows, cols);
        REQUIRE(!w.empty());
        const std::vector<float> wf = quant_test::DequantizeAll(type, w.data(), rows, cols);
        for (int64_t n_tokens = 1; n_tokens <= 9; n_tokens += (rows == 37 ? 1 : 4)) {
          const std::vector<float> x = quant_test::RandomFloats(&rng, n_tokens * cols);
          const std::vector<double> scale = AbsScale(wf, x, rows, cols, n_tokens);
          const engine::WeightView view{type, w.data(), rows, cols};
          std::vector<float> ref(static_cast<size_t>(rows * n_tokens));
          engine::SetKernelLevelForTesting(KernelLevel::kScalar);
          engine::MatMul(view, x.data(), n_tokens, ref.data(), nullptr, &scratch);
          for (KernelLevel level : levels) {
            engine::SetKernelLevelForTesting(level);
            for (base::ThreadPool* p : {static_cast<base::ThreadPool*>(nullptr), &pool}) {
              std::vector<float> y(ref.size(), std::nanf(""));
              engine::MatMul(view, x.data(), n_tokens, y.data(), p, &scratch);
              for (size_t i = 0; i < y.size(); ++i) {
                INFO(engine::TraitsOf(type).name << " level " << engine::KernelLevelName(level) << " rows "
                                                 << rows << " cols " << cols << " tokens " << n_tokens
                                                 << " index " << i << " pool " << (p != nullptr));
                REQUIRE(std::fabs(double(y[i]) - ref[i]) <= 1e-5 * scale[i] + 1e-30);
              }
            }
          }
        }
      }
    }
  }
}

// Prefill shapes: enough tokens and rows for the panel kernels (kernels.h),
// with a short last panel and a token count that is not a multiple of
// kPanelTokens.
TEST_CASE("Panel kernels match the scalar kernels at every level", "[quant][matmul]") {
  LevelGuard guard;
  base::ThreadPool pool(2);
  engine::MatmulScratch scratch;
  std::mt19937 rng(43);
  for (GgmlType type : quant_test::kComputeTypes) {
    // Panels take whole 32-column groups (K-quants: whole super-blocks).
    const bool is_float = type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16;
    const int64_t cols = is_float ? 320 : ColsFor(type).back();
    for (int64_t rows : {16, 53}) {
      const std::vector<uint8_t> w = quant_test::RandomWeights(&rng, type, rows, cols);
      const std::vector<float> wf = quant_test::DequantizeAll(type, w.data(), rows, cols);
      for (int64_t n_tokens : {8, 21}) {
        const std::vector<float> x = quant_test::RandomFloats(&rng, n_tokens * cols);
        const std::vector<double> scale = AbsScale(wf, x, rows, cols, n_tokens);
        const engine::WeightView view{type, w.data(), rows, cols};
        std::vector<float> ref(static_cast<size_t>(rows * n_tokens));
        engine::SetKernelLevelForTesting(KernelLevel::kScalar);
        engine::MatMul(view, x.data(), n_tokens, ref.data(), nullptr, &scratch);
        for (KernelLevel level : engine::AvailableKernelLevels()) {
          engine::SetKernelLevelForTesting(level);
          for (base::ThreadPool* p : {static_cast<base::ThreadPool*>(nullptr), &pool}) {
            std::vector<float> y(ref.size(), std::nanf(""));
            engine::MatMul(view, x.data(), n_tokens, y.data(), p, &scratch);
            for (size_t i = 0; i < y.size(); ++i) {
              INFO(engine::TraitsOf(type).name << " level " << engine::KernelLevelName(level) << " rows " << rows
                                               << " tokens " << n_tokens << " index " << i);
              REQUIRE(std::fabs(double(y[i]) - ref[i]) <= 1e-5 * scale[i] + 1e-30);
            }
          }
        }
      }
    }
  }
}

// MatMulShared: same results as one MatMul per target, for targets of
// mixed types (shared and separate activation formats), with `prepare`
// filling the input rows, serially and on a pool, decode and prefill.
TEST_CASE("MatMulShared equals separate MatMuls and calls prepare once per row", "[quant][matmul]") {
  base::ThreadPool pool(2);
  engine::MatmulScratch scratch;
  std::mt19937 rng(17);
  const int64_t cols = 512;
  const GgmlType types[] = {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ6_K, GgmlType::kQ4_K};
  const int64_t rows[] = {48, 37, 20, 64};
  std::vector<std::vector<uint8_t>> w;
  for (int i = 0; i < 4; ++i) w.push_back(quant_test::RandomWeights(&rng, types[i], rows[i], cols));
  for (int64_t n_tokens : {1, 5, 40}) {
    const std::vector<float> source = quant_test::RandomFloats(&rng, n_tokens * cols);
    std::vector<std::vector<float>> ref(4);
    for (int i = 0; i < 4; ++i) {
      ref[i].resize(static_cast<size_t>(rows[i] * n_tokens));
      engine::MatMul({types[i], w[i].data(), rows[i], cols}, source.data(), n_tokens, ref[i].data(), &pool,
                     &scratch);
    }
    for (base::ThreadPool* p : {static_cast<base::ThreadPool*>(nullptr), &pool}) {
      std::vector<float> x(source.size(), std::nanf(""));
      std::vector<int> filled(static_cast<size_t>(n_tokens), 0);
      auto fill = [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          std::copy_n(&source[static_cast<size_t>(t * cols)], cols, &x[static_cast<size_t>(t * cols)]);
          ++filled[static_cast<size_t>(t)];
        }
      };
      const base::FunctionRef<void(int64_t, int64_t)> prepare(fill);
      std::vector<std::vector<float>> y(4);
      std::vector<engine::MatMulTarget> targets;
      for (int i = 0; i < 4; ++i) {
        y[i].assign(ref[i].size(), std::nanf(""));
        targets.push_back({{types[i], w[i].data(), rows[i], cols}, y[i].data()});
      }
      engine::SharedMatMul m;
      m.x = x.data();
      m.n_tokens = n_tokens;
      m.cols = cols;
      m.targets = targets;
      m.prepare = &prepare;
      engine::MatMulShared(m, p, &scratch);
      INFO("tokens " << n_tokens << " pool " << (p != nullptr));
      CHECK(std::all_of(filled.begin(), filled.end(), [](int c) { return c == 1; }));
      for (int i = 0; i < 4; ++i) CHECK(y[i] == ref[i]);
    }
  }
}

TEST_CASE("MatMul equals a float64 product of the dequantized weights and ggml-rounded activations",
          "[quant][matmul]") {
  base::ThreadPool pool(2);
  engine::MatmulScratch scratch;
  std::mt19937 rng(5);
  const int64_t rows = 67, n_tokens = 6;
  for (GgmlType type : quant_test::kComputeTypes) {
    const int64_t cols = type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16 ? 200 : 512;
    INFO(engine::TraitsOf(type).name << " at level " << engine::KernelLevelName(engine::BestKernelLevel()));
    const std::vector<uint8_t> w = quant_test::RandomWeights(&rng, type, rows, cols);
    const std::vector<float> wf = quant_test::DequantizeAll(type, w.data(), rows, cols);
    const std::vector<float> x = quant_test::RandomFloats(&rng, n_tokens * cols, 2.0f);
    const std::vector<float> xr = GgmlRoundedActivations(type, x, cols);
    const std::vector<double> scale = AbsScale(wf, x, rows, cols, n_tokens);
    std::vector<float> y(static_cast<size_t>(rows * n_tokens));
    engine::MatMul({type, w.data(), rows, cols}, x.data(), n_tokens, y.data(), &pool, &scratch);
    double worst_rounded = 0, worst_exact = 0;
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        double rounded = 0, exact = 0;
        for (int64_t c = 0; c < cols; ++c) {
          rounded += double(wf[r * cols + c]) * xr[t * cols + c];
          exact += double(wf[r * cols + c]) * x[t * cols + c];
        }
        const double s = scale[t * rows + r];
        worst_rounded = std::max(worst_rounded, std::fabs(y[t * rows + r] - rounded) / s);
        worst_exact = std::max(worst_exact, std::fabs(y[t * rows + r] - exact) / s);
      }
    }
    CAPTURE(worst_rounded, worst_exact);
    // With ggml's activation rounding simulated, only f32 accumulation remains.
    CHECK(worst_rounded < 2e-6);
    // Against unrounded activations the 8-bit (or 16-bit float) rounding shows.
    const bool act_8bit = type != GgmlType::kF32 && type != GgmlType::kF16 && type != GgmlType::kBF16;
    CHECK(worst_exact < (act_8bit ? 1e-2 : type == GgmlType::kBF16 ? 4e-3 : 5e-4));
    if (type != GgmlType::kF32) CHECK(worst_exact > worst_rounded);
  }
}

TEST_CASE("MatMul does not allocate in steady state and handles empty input", "[quant][matmul]") {
  base::ThreadPool pool(2);
  engine::MatmulScratch scratch;
  std::mt19937 rng(9);
  const std::vector<uint8_t> w = quant_test::RandomWeights(&rng, GgmlType::kQ4_K, 64, 512);
  const std::vector<float> x = quant_test::RandomFloats(&rng, 8 * 512);
  std::vector<float> y(64 * 8);
  engine::MatMul({GgmlType::kQ4_K, w.data(), 64, 512}, x.data(), 8, y.data(), &pool, &scratch);
  const int64_t after_first = scratch.allocations();
  CHECK(after_first == 1);
  for (int i = 0; i < 5; ++i) {
    engine::MatMul({GgmlType::kQ4_K, w.data(), 64, 512}, x.data(), 1 + i, y.data(), &pool, &scratch);
  }
  CHECK(scratch.allocations() == after_first);
  engine::MatMul({GgmlType::kQ4_K, w.data(), 64, 512}, x.data(), 0, y.data(), &pool, &scratch);  // no-op
  engine::MatmulScratch moved = std::move(scratch);
  CHECK(moved.capacity() >= 8 * 2 * 320);
}

TEST_CASE("Vec helpers agree with float64 at every level", "[quant][vec]") {
  LevelGuard guard;
  std::mt19937 rng(11);
  for (KernelLevel level : engine::AvailableKernelLevels()) {
    engine::SetKernelLevelForTesting(level);
    for (int64_t n : {1, 15, 16, 17, 64, 129}) {
      INFO(engine::KernelLevelName(level) << " n=" << n);
      const std::vector<float> a = quant_test::RandomFloats(&rng, n), b = quant_test::RandomFloats(&rng, n);
      std::vector<uint16_t> h(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) h[i] = engine::F32ToF16(a[i]);
      double d32 = 0, d16 = 0, scale = 0;
      for (int64_t i = 0; i < n; ++i) {
        d32 += double(a[i]) * b[i];
        d16 += double(engine::F16ToF32(h[i])) * b[i];
        scale += std::fabs(double(a[i]) * b[i]);
      }
      CHECK(std::fabs(engine::DotF32(a.data(), b.data(), n) - d32) <= 1e-6 * scale);
      CHECK(std::fabs(engine::DotF16F32(h.data(), b.data(), n) - d16) <= 1e-6 * scale);
      std::vector<float> y1 = b, y2 = b;
      engine::AxpyF32(0.75f, a.data(), y1.data(), n);
      engine::AxpyF16(-1.5f, h.data(), y2.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        CHECK(y1[i] == Approx(b[i] + 0.75 * a[i]).margin(1e-6));
        CHECK(y2[i] == Approx(b[i] - 1.5 * engine::F16ToF32(h[i])).margin(1e-6));
      }
    }
  }
}

TEST_CASE("SwiGluF32 agrees with float64 at every level, over the whole exp range", "[quant][vec]") {
  LevelGuard guard;
  std::mt19937 rng(12);
  for (KernelLevel level : engine::AvailableKernelLevels()) {
    engine::SetKernelLevelForTesting(level);
    for (int64_t n : {1, 15, 16, 17, 129}) {
      std::vector<float> g = quant_test::RandomFloats(&rng, n, 30.0f), u = quant_test::RandomFloats(&rng, n);
      if (n == 129) g[0] = 120.0f, g[1] = -120.0f, g[2] = 0.0f, g[3] = -88.0f, g[4] = 87.0f;
      std::vector<float> out(static_cast<size_t>(n));
      engine::SwiGluF32(g.data(), u.data(), n, out.data());
      for (int64_t i = 0; i < n; ++i) {
        const double want = double(g[i]) / (1.0 + std::exp(-double(g[i]))) * u[i];
        INFO(engine::KernelLevelName(level) << " n=" << n << " g=" << g[i]);
        REQUIRE(std::fabs(out[i] - want) <= 1e-6 * std::fabs(want) + 1e-30);
      }
    }
  }
}

TEST_CASE("Kernel levels: detection, names and the override", "[quant][cpu]") {
  const std::vector<KernelLevel> levels = engine::AvailableKernelLevels();
  REQUIRE(!levels.empty());
  CHECK(levels.front() == KernelLevel::kScalar);
  CHECK(engine::KernelLevelName(KernelLevel::kAvx512Vnni) == "avx512vnni");
  const engine::CpuFeatures& f = engine::DetectCpuFeatures();
  CHECK(f.avx512 == (std::find(levels.begin(), levels.end(), KernelLevel::kAvx512) != levels.end()));
  if (f.avx512_vnni) CHECK(f.avx512);
  if (f.avx512) CHECK(f.avx2);
  // BestKernelLevel is one of the available levels (LONGHAUL_KERNELS may lower it).
  CHECK(std::find(levels.begin(), levels.end(), engine::BestKernelLevel()) != levels.end());
}

TEST_CASE("SIMD activation conversion gives the scalar bytes, special values included", "[quant][matmul]") {
  const engine::CpuFeatures& f = engine::DetectCpuFeatures();
  std::vector<const engine::KernelTable*> tables;
  if (f.avx2) tables.push_back(engine::Avx2Kernels());
  if (f.avx512) tables.push_back(engine::Avx512Kernels());
  if (f.avx512_vnni) tables.push_back(engine::Avx512VnniKernels());
  if (tables.empty()) {
    WARN("SKIPPED: no SIMD kernel level on this CPU");
    return;
  }
  std::mt19937 rng(3);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t cols = 512 + (trial % 3) * 256;
    std::vector<float> x = quant_test::RandomFloats(&rng, cols, trial % 2 ? 1e-3f : 3.0f);
    // Exact ties for rint, repeated maxima of both signs, zeros, NaN and inf.
    if (trial % 4 == 1) {
      for (int64_t i = 0; i < cols; ++i) x[i] = float(int(i % 255) - 127) * 0.5f;
    }
    if (trial % 5 == 2) {
      for (int64_t i = 0; i < 256; ++i) x[i] = 0.0f;
      x[300] = -9.0f, x[301] = 9.0f, x[260] = 9.0f;
    }
    if (trial % 7 == 3) x[5] = nan, x[270] = nan;
    if (trial % 7 == 4) x[40] = inf, x[290] = -inf;
    for (GgmlType type : quant_test::kComputeTypes) {
      if (type == GgmlType::kF32) continue;
      const int64_t bytes = engine::ActRowBytes(type, cols);
      std::vector<uint8_t> want(static_cast<size_t>(bytes), 0), got(static_cast<size_t>(bytes), 0);
      engine::ScalarKernels().convert_act(type, x.data(), cols, want.data());
      for (const engine::KernelTable* t : tables) {
        INFO(engine::TraitsOf(type).name << " level " << engine::KernelLevelName(t->level) << " trial " << trial);
        std::fill(got.begin(), got.end(), 0);
        t->convert_act(type, x.data(), cols, got.data());
        REQUIRE(std::memcmp(want.data(), got.data(), got.size()) == 0);
      }
    }
  }
}
