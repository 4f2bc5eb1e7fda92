// Which SIMD kernel family the CPU runs, chosen once at run time.
//
// Detection uses cpuid plus xgetbv (the OS must save the wide registers).
// LONGHAUL_KERNELS=scalar|avx2|avx512|avx512vnni lowers the choice, never
// above what the CPU has (an unavailable or unknown value is logged and
// ignored). Threading: all functions are safe to call from any thread;
// SetKernelLevelForTesting must not race with running matmuls.
#pragma once

#include <string_view>
#include <vector>

namespace engine {

enum class KernelLevel {
  kScalar,      // portable C++
  kAvx2,        // AVX2 + FMA + F16C
  kAvx512,      // AVX-512 F/BW/VL/DQ
  kAvx512Vnni,  // + VNNI (and AVX512-BF16 where present)
};

struct CpuFeatures {
  bool avx2 = false;  // with FMA and F16C
  bool avx512 = false;  // F, BW, VL, DQ
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
};

// What this CPU and OS support (cached after the first call).
const CpuFeatures& DetectCpuFeatures();

// The level matmuls use: the best available, lowered by LONGHAUL_KERNELS,
// or the one set for testing.
KernelLevel BestKernelLevel();

// Every level this CPU can run, scalar first.
std::vector<KernelLevel> AvailableKernelLevels();

std::string_view KernelLevelName(KernelLevel level);

// Forces `level` (which must be available) for subsequent matmuls and vec
// helpers; tests use it to run every level.
void SetKernelLevelForTesting(KernelLevel level);

}  // namespace engine
