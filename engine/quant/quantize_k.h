// ggml's reference K-quant quantizers (no importance matrix). Private to
// engine/quant; callers go through QuantizeRow, which checks the input is
// finite (the searches assume |x| fits the rounding trick).
#pragma once

#include <cstdint>

#include "engine/quant/blocks.h"

namespace engine {

void QuantizeQ4K(const float* x, BlockQ4K* y, int64_t nb);
void QuantizeQ5K(const float* x, BlockQ5K* y, int64_t nb);
void QuantizeQ6K(const float* x, BlockQ6K* y, int64_t nb);

}  // namespace engine
