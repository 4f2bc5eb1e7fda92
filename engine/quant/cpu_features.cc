#include "engine/quant/cpu_features.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/log.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace engine {
namespace {

#if defined(__x86_64__)
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  // xgetbv with ecx = 0; spelled as bytes so no -mxsave is needed.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures Detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  const bool fma = (c >> 12) & 1;
  const bool f16c = (c >> 29) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = ReadXcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  const bool avx2 = (b >> 5) & 1;
  f.avx2 = os_ymm && avx2 && fma && f16c;
  const bool avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1;
  const bool avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  f.avx512_vnni = f.avx512 && ((c >> 11) & 1);
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) f.avx512_bf16 = f.avx512 && ((a1 >> 5) & 1);
  return f;
}
#else
CpuFeatures Detect() { return CpuFeatures{}; }
#endif

bool LevelAvailable(KernelLevel level, const CpuFeatures& f) {
  switch (level) {
    case KernelLevel::kScalar: return true;
    case KernelLevel::kAvx2: return f.avx2;
    case KernelLevel::kAvx512: return f.avx512;
    case KernelLevel::kAvx512Vnni: return f.avx512_vnni;
  }
  return false;
}

KernelLevel DetectBest() {
  const CpuFeatures& f = DetectCpuFeatures();
  KernelLevel best = KernelLevel::kScalar;
  for (KernelLevel l : AvailableKernelLevels()) best = l;
  const char* env = std::getenv("LONGHAUL_KERNELS");
  if (env == nullptr || *env == '\0') return best;
  const std::string want(env);
  for (KernelLevel l : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512,
                        KernelLevel::kAvx512Vnni}) {
    if (want != KernelLevelName(l)) continue;
    if (!LevelAvailable(l, f)) {
      LOG(WARNING) << "LONGHAUL_KERNELS=" << want << " is not supported by this CPU; using "
                   << KernelLevelName(best);
      return best;
    }
    return l;
  }
  LOG(WARNING) << "LONGHAUL_KERNELS=" << want << " is unknown (scalar|avx2|avx512|avx512vnni); using "
               << KernelLevelName(best);
  return best;
}

constexpr int kUnset = -1;
std::atomic<int> g_level{kUnset};

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

std::vector<KernelLevel> AvailableKernelLevels() {
  const CpuFeatures& f = DetectCpuFeatures();
  std::vector<KernelLevel> out;
  for (KernelLevel l : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512,
                        KernelLevel::kAvx512Vnni}) {
    if (LevelAvailable(l, f)) out.push_back(l);
  }
  return out;
}

KernelLevel BestKernelLevel() {
  int v = g_level.load(std::memory_order_acquire);
  if (v == kUnset) {
    static const KernelLevel detected = DetectBest();
    int expected = kUnset;
    g_level.compare_exchange_strong(expected, static_cast<int>(detected));
    v = g_level.load(std::memory_order_acquire);
  }
  return static_cast<KernelLevel>(v);
}

std::string_view KernelLevelName(KernelLevel level) {
  switch (level) {
    case KernelLevel::kScalar: return "scalar";
    case KernelLevel::kAvx2: return "avx2";
    case KernelLevel::kAvx512: return "avx512";
    case KernelLevel::kAvx512Vnni: return "avx512vnni";
  }
  return "unknown";
}

void SetKernelLevelForTesting(KernelLevel level) {
  CHECK(LevelAvailable(level, DetectCpuFeatures()))
      << "kernel level " << KernelLevelName(level) << " is not available on this CPU";
  g_level.store(static_cast<int>(level), std::memory_order_release);
}

}  // namespace engine
