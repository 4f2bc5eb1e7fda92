#include "engine/quant/matmul.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "base/log.h"
#include "engine/quant/act_convert.h"
#include "engine/quant/kernels.h"

namespace engine {
namespace {

// Converted activations of one token chunk should stay in L2 while every
// weight tile of a thread's rows streams past them.
constexpr int64_t kActChunkBytes = 256 << 10;
// Below this many multiply-adds a pool wake-up costs more than it saves.
constexpr int64_t kMinParallelWork = 64 << 10;
// Multiply-adds per work item at least (see MatMulShared), and items per
// thread at least, so the dynamic hand-out can even out.
constexpr int64_t kMinItemWork = 16 << 10;
constexpr int64_t kItemsPerThread = 4;
// Token rows converted per hand-out when conversion runs inside the job.
constexpr int64_t kConvertTokens = 8;
// Packing a panel costs about one token's product: below this many tokens
// the tiles, which read the weights as stored, are faster.
constexpr int64_t kPanelMinTokens = 8;

}  // namespace

MatmulScratch::~MatmulScratch() { std::free(data_); }

MatmulScratch::MatmulScratch(MatmulScratch&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      allocations_(other.allocations_) {}

MatmulScratch& MatmulScratch::operator=(MatmulScratch&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    allocations_ = other.allocations_;
  }
  return *this;
}

uint8_t* MatmulScratch::Reserve(int64_t bytes) {
  if (bytes <= capacity_) return data_;
  // Grow geometrically so a slowly rising need does not allocate each call.
  const int64_t want = std::max<int64_t>((bytes + 4095) & ~int64_t{4095}, capacity_ + capacity_ / 2);
  void* p = std::aligned_alloc(64, static_cast<size_t>(want));
  CHECK(p != nullptr) << "MatmulScratch: out of memory for " << want << " bytes";
  std::free(data_);
  data_ = static_cast<uint8_t*>(p);
  capacity_ = want;
  ++allocations_;
  return data_;
}

namespace {

// Products that read the same converted activations: Q4_0 dots with Q8_0
// rows, Q5_K and Q6_K with Q4_K's ActQ8K blocks.
GgmlType DotFormat(GgmlType t) {
  switch (t) {
    case GgmlType::kQ4_0: return GgmlType::kQ8_0;
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: return GgmlType::kQ4_K;
    default: return t;
  }
}

inline void CpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// The fixed part of one MatMulShared call, read by every thread.
struct Plan {
  const SharedMatMul* m = nullptr;
  const KernelTable* kernels = nullptr;
  int n_formats = 0;
  GgmlType format[kMaxSharedTargets] = {};
  uint8_t* converted[kMaxSharedTargets] = {};  // null for F32: the kernels read x itself
  // BF16 rounded, then widened back to f32 (for the float panels).
  bool wide_bf16[kMaxSharedTargets] = {};
  int64_t act_stride[kMaxSharedTargets] = {};
  int format_of[kMaxSharedTargets] = {};  // per target
  TileFn tile[kMaxSharedTargets] = {};    // per target
  const PanelKernels* panel[kMaxSharedTargets] = {};  // per target; null: tiles only
  uint8_t* panel_buf = nullptr;  // one panel of panel_bytes per thread
  int64_t panel_bytes = 0;
  int64_t rows_per_item = 0;
  int64_t item_begin[kMaxSharedTargets + 1] = {};  // items of target i: [item_begin[i], item_begin[i+1])
};

// Fills (via prepare) and converts token rows [t0, t1).
void ConvertRows(const Plan& p, int64_t t0, int64_t t1) {
  const SharedMatMul& m = *p.m;
  if (m.prepare != nullptr) (*m.prepare)(t0, t1);
  for (int f = 0; f < p.n_formats; ++f) {
    if (p.converted[f] == nullptr) continue;
    for (int64_t t = t0; t < t1; ++t) {
      uint8_t* row = p.converted[f] + t * p.act_stride[f];
      p.kernels->convert_act(p.format[f], m.x + t * m.cols, m.cols, row);
      if (p.wide_bf16[f]) {
        // Widen in place, from the end: f32 value c (bytes 4c..4c+3) only
        // covers bf16 values 2c and 2c+1, already read. memcpy keeps the
        // overlapping accesses in order (no type-based aliasing).
        for (int64_t c = m.cols - 1; c >= 0; --c) {
          uint16_t bits;
          std::memcpy(&bits, row + 2 * c, 2);
          const uint32_t wide = static_cast<uint32_t>(bits) << 16;
          std::memcpy(row + 4 * c, &wide, 4);
        }
      }
    }
  }
}

// Rows [r0, r1) of target i for every token, on pool thread `thread`.
void RunRows(const Plan& p, int i, int64_t r0, int64_t r1, int thread) {
  const SharedMatMul& m = *p.m;
  const MatMulTarget& target = m.targets[static_cast<size_t>(i)];
  const int f = p.format_of[i];
  const uint8_t* act = p.converted[f] != nullptr ? p.converted[f] : reinterpret_cast<const uint8_t*>(m.x);
  const int64_t act_stride = p.act_stride[f];
  const int64_t w_stride = RowBytes(target.w.type, m.cols);
  const int64_t n_tokens = m.n_tokens, rows = target.w.rows;
  const int64_t chunk = std::max<int64_t>(
      kTileTokens, std::min<int64_t>(n_tokens, kActChunkBytes / act_stride) / kTileTokens * kTileTokens);
  if (const PanelKernels* pk = p.panel[i]) {
    uint8_t* panel = p.panel_buf + thread * p.panel_bytes;
    for (; r0 + kPanelRows <= r1; r0 += kPanelRows) {
      pk->pack(target.w.data + r0 * w_stride, w_stride, m.cols, panel);
      for (int64_t t0 = 0; t0 < n_tokens; t0 += kPanelTokens) {
        PanelArgs args;
        args.panel = panel;
        args.act = act + t0 * act_stride;
        args.act_stride = act_stride;
        args.cols = m.cols;
        args.y = target.y + t0 * rows + r0;
        args.y_stride = rows;
        args.nt = static_cast<int>(std::min<int64_t>(kPanelTokens, n_tokens - t0));
        pk->run(args);
      }
    }
  }
  // Rows left over (all of them without panels) go through the tiles.
  const TileFn tile = p.panel[i] != nullptr ? p.panel[i]->rest : p.tile[i];
  for (int64_t c0 = 0; c0 < n_tokens; c0 += chunk) {
    const int64_t c1 = std::min(n_tokens, c0 + chunk);
    for (int64_t r = r0; r < r1; r += kTileRows) {
      for (int64_t t0 = c0; t0 < c1; t0 += kTileTokens) {
        TileArgs args;
        args.w = target.w.data + r * w_stride;
        args.w_stride = w_stride;
        args.act = act + t0 * act_stride;
        args.act_stride = act_stride;
        args.cols = m.cols;
        args.y = target.y + t0 * rows + r;
        args.y_stride = rows;
        args.nr = static_cast<int>(std::min<int64_t>(kTileRows, r1 - r));
        args.nt = static_cast<int>(std::min<int64_t>(kTileTokens, c1 - t0));
        tile(args);
      }
    }
  }
}

void RunItem(const Plan& p, int64_t item, int thread) {
  int i = 0;
  while (item >= p.item_begin[i + 1]) ++i;
  const int64_t r0 = (item - p.item_begin[i]) * p.rows_per_item;
  RunRows(p, i, r0, std::min(p.m->targets[static_cast<size_t>(i)].w.rows, r0 + p.rows_per_item), thread);
}

}  // namespace

void MatMulShared(const SharedMatMul& m, base::ThreadPool* pool, MatmulScratch* scratch) {
  if (m.n_tokens <= 0 || m.targets.empty()) return;
  CHECK(m.targets.size() <= static_cast<size_t>(kMaxSharedTargets))
      << "MatMulShared: " << m.targets.size() << " targets, at most " << kMaxSharedTargets;
  Plan p;
  p.m = &m;
  p.kernels = &ActiveKernels();
  const int n_threads = pool != nullptr ? pool->num_threads() : 1;
  int64_t total_rows = 0;
  int64_t convert_bytes = 0;
  for (size_t i = 0; i < m.targets.size(); ++i) {
    const WeightView& w = m.targets[i].w;
    const GgmlTypeTraits& tr = TraitsOf(w.type);
    CHECK(tr.compute_supported) << "MatMul: no kernels for weight type " << tr.name;
    CHECK(w.cols == m.cols && w.cols > 0 && w.cols % tr.block_size == 0)
        << "MatMul: " << w.cols << " columns (input has " << m.cols << ") is not a whole number of " << tr.name
        << " blocks";
    total_rows += std::max<int64_t>(0, w.rows);
    p.tile[i] = TileFor(*p.kernels, w.type);
    const PanelKernels* pk = PanelFor(*p.kernels, w.type);
    // Gathers address the 16 rows of a panel with 32-bit offsets.
    const bool panel_ok = pk != nullptr && scratch != nullptr && m.n_tokens >= kPanelMinTokens &&
                          w.rows >= kPanelRows && m.cols % pk->col_multiple == 0 &&
                          RowBytes(w.type, m.cols) * kPanelRows < (int64_t{1} << 31);
    if (panel_ok) {
      p.panel[i] = pk;
      p.panel_bytes = std::max(p.panel_bytes, pk->bytes(m.cols));
    }
    const GgmlType f = DotFormat(w.type);
    const bool wide = f == GgmlType::kBF16 && panel_ok;  // the float panel reads f32
    int k = 0;
    while (k < p.n_formats && !(p.format[k] == f && p.wide_bf16[k] == wide)) ++k;
    if (k == p.n_formats) {
      p.format[k] = f;
      p.wide_bf16[k] = wide;
      p.act_stride[k] = f == GgmlType::kF32 ? m.cols * 4 : ActRowBytes(wide ? GgmlType::kF16 : f, m.cols);
      if (f != GgmlType::kF32) convert_bytes += p.act_stride[k] * m.n_tokens;
      ++p.n_formats;
    }
    p.format_of[i] = k;
  }
  if (total_rows == 0) return;
  if (convert_bytes > 0 || p.panel_bytes > 0) {
    CHECK(scratch != nullptr) << "MatMul: a scratch buffer is needed for quantized or 16-bit weights";
    // Region sizes are multiples of 64: every region stays aligned.
    uint8_t* buf = scratch->Reserve(convert_bytes + n_threads * p.panel_bytes);
    for (int k = 0; k < p.n_formats; ++k) {
      if (p.format[k] == GgmlType::kF32) continue;
      p.converted[k] = buf;
      buf += p.act_stride[k] * m.n_tokens;
    }
    p.panel_buf = buf;
  }
  bool any_panel = false;
  for (const PanelKernels* pk : p.panel) any_panel = any_panel || pk != nullptr;

  const int64_t work = total_rows * m.cols * m.n_tokens;
  const bool parallel = n_threads > 1 && work >= kMinParallelWork;
  // Items: runs of rows_per_item rows of one target, every token. Big
  // enough to dwarf the atomic that hands them out, small enough that
  // each thread gets several and uneven progress evens out.
  if (parallel) {
    const int64_t by_work = (kMinItemWork + m.cols * m.n_tokens - 1) / (m.cols * m.n_tokens);
    const int64_t by_count = (total_rows + kItemsPerThread * n_threads - 1) / (kItemsPerThread * n_threads);
    const int64_t rows = std::max<int64_t>(1, std::min(by_work, by_count));
    const int64_t align = any_panel ? kPanelRows : kTileRows;  // items start at whole panels
    p.rows_per_item = (rows + align - 1) / align * align;
  } else {
    p.rows_per_item = std::max<int64_t>(kTileRows, total_rows);
  }
  for (size_t i = 0; i < m.targets.size(); ++i) {
    const int64_t rows = std::max<int64_t>(0, m.targets[i].w.rows);
    p.item_begin[i + 1] = p.item_begin[i] + (rows + p.rows_per_item - 1) / p.rows_per_item;
  }
  const int64_t n_items = p.item_begin[m.targets.size()];
  const auto n_targets = static_cast<int>(m.targets.size());
  for (int i = n_targets; i < kMaxSharedTargets; ++i) p.item_begin[i + 1] = n_items;

  if (!parallel) {
    ConvertRows(p, 0, m.n_tokens);
    for (int64_t item = 0; item < n_items; ++item) RunItem(p, item, 0);
    return;
  }
  // Few tokens (decode): converting on the caller is cheaper than a
  // barrier inside the job.
  const int64_t n_convert = m.n_tokens >= 2 * kConvertTokens ? (m.n_tokens + kConvertTokens - 1) / kConvertTokens : 0;
  if (n_convert == 0) ConvertRows(p, 0, m.n_tokens);
  alignas(64) std::atomic<int64_t> next_convert{0};
  alignas(64) std::atomic<int64_t> converted{0};
  alignas(64) std::atomic<int64_t> next_item{0};
  pool->Run([&](int thread) {
    for (int64_t c; (c = next_convert.fetch_add(1, std::memory_order_relaxed)) < n_convert;) {
      ConvertRows(p, c * kConvertTokens, std::min(m.n_tokens, (c + 1) * kConvertTokens));
      converted.fetch_add(1, std::memory_order_release);
    }
    // Every item reads every token row; on an oversubscribed machine yield
    // so a descheduled converter gets the core back.
    for (int spins = 0; converted.load(std::memory_order_acquire) < n_convert; ++spins) {
      if (spins < 4096) {
        CpuRelax();
      } else {
        std::this_thread::yield();
      }
    }
    for (int64_t item; (item = next_item.fetch_add(1, std::memory_order_relaxed)) < n_items;) {
      RunItem(p, item, thread);
    }
  });
}

void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, base::ThreadPool* pool,
            MatmulScratch* scratch) {
  const MatMulTarget target{w, y};
  SharedMatMul m;
  m.x = x;
  m.n_tokens = n_tokens;
  m.cols = w.cols;
  m.targets = std::span<const MatMulTarget>(&target, 1);
  MatMulShared(m, pool, scratch);
}

}  // namespace engine
