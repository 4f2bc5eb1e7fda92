// AVX-512 (F/BW/VL/DQ) kernels; built with -mavx512f -mavx512bw -mavx512vl
// -mavx512dq (see engine/CMakeLists.txt).
#if defined(__x86_64__)
#define LH_AVX512_VNNI 0
#define LH_AVX512_TABLE Avx512Kernels
#include "engine/quant/kernels_avx512_impl.h"
#else
#include "engine/quant/kernels.h"
namespace engine {
const KernelTable* Avx512Kernels() { return nullptr; }
}  // namespace engine
#endif
