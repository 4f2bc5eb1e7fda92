// AVX-512 kernels with VNNI integer dot products (vpdpbusd, vpdpwssd) and,
// where the CPU has it, AVX512-BF16 (vdpbf16ps); built with the AVX-512
// flags plus -mavx512vnni -mavx512bf16 (see engine/CMakeLists.txt).
#if defined(__x86_64__)
#define LH_AVX512_VNNI 1
#define LH_AVX512_TABLE Avx512VnniKernels
#include "engine/quant/kernels_avx512_impl.h"
#else
#include "engine/quant/kernels.h"
namespace engine {
const KernelTable* Avx512VnniKernels() { return nullptr; }
}  // namespace engine
#endif
