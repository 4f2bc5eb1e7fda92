#include "engine/quant/matmul.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

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

void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, base::ThreadPool* pool,
            MatmulScratch* scratch) {
  if (n_tokens <= 0 || w.rows <= 0) return;
  const GgmlTypeTraits& tr = TraitsOf(w.type);
  CHECK(tr.compute_supported) << "MatMul: no kernels for weight type " << tr.name;
  CHECK(w.cols > 0 && w.cols % tr.block_size == 0)
      << "MatMul: " << w.cols << " columns is not a whole number of " << tr.name << " blocks";
  const KernelTable& kernels = ActiveKernels();
  const TileFn tile = TileFor(kernels, w.type);
  const int64_t rows = w.rows, cols = w.cols;
  const bool parallel = pool != nullptr && pool->num_threads() > 1 && rows * cols * n_tokens >= kMinParallelWork;

  // act: [n_tokens][act_stride bytes] in the weight type's dot format.
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  int64_t act_stride = cols * 4;
  if (w.type != GgmlType::kF32) {
    CHECK(scratch != nullptr) << "MatMul: a scratch buffer is needed for " << tr.name << " weights";
    act_stride = ActRowBytes(w.type, cols);
    uint8_t* buf = scratch->Reserve(act_stride * n_tokens);
    auto convert = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) kernels.convert_act(w.type, x + t * cols, cols, buf + t * act_stride);
    };
    if (parallel && n_tokens > 1) {
      pool->ParallelFor(n_tokens, 1, convert);
    } else {
      convert(0, n_tokens);
    }
    act = buf;
  }

  const int64_t w_stride = RowBytes(w.type, cols);
  const int64_t chunk = std::max<int64_t>(
      kTileTokens, std::min<int64_t>(n_tokens, kActChunkBytes / act_stride) / kTileTokens * kTileTokens);
  const int64_t row_blocks = (rows + kTileRows - 1) / kTileRows;
  auto run = [&](int64_t rb0, int64_t rb1) {
    for (int64_t c0 = 0; c0 < n_tokens; c0 += chunk) {
      const int64_t c1 = std::min(n_tokens, c0 + chunk);
      for (int64_t rb = rb0; rb < rb1; ++rb) {
        const int64_t r0 = rb * kTileRows;
        for (int64_t t0 = c0; t0 < c1; t0 += kTileTokens) {
          TileArgs args;
          args.w = w.data + r0 * w_stride;
          args.w_stride = w_stride;
          args.act = act + t0 * act_stride;
          args.act_stride = act_stride;
          args.cols = cols;
          args.y = y + t0 * rows + r0;
          args.y_stride = rows;
          args.nr = static_cast<int>(std::min<int64_t>(kTileRows, rows - r0));
          args.nt = static_cast<int>(std::min<int64_t>(kTileTokens, c1 - t0));
          tile(args);
        }
      }
    }
  };
  if (parallel) {
    pool->ParallelFor(row_blocks, 1, run);
  } else {
    run(0, row_blocks);
  }
}

}  // namespace engine
