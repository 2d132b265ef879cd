#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <cstdlib>
#include <cstring>

#include "pool.h"

#ifdef VAE_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace vae {

namespace {

using GemmFn = void (*)(bool, bool, int, int, int, float, const float*, std::ptrdiff_t, const float*, std::ptrdiff_t,
                        float, float*, std::ptrdiff_t);

struct Builtin {
  GemmFn fn;
  const char* name;
  // The micro-tile, rows x columns of C (gemm_avx512.cc and its siblings).
  int mr;
  int nr;
};

constexpr Builtin kAvx512 = {gemm_avx512, "avx512", 8, 32};
constexpr Builtin kAvx2 = {gemm_avx2, "avx2", 6, 16};
constexpr Builtin kBase = {gemm_base, "base", 4, 8};

bool cpu_has(const char* isa) {
#if defined(__x86_64__) && defined(VAE_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return std::strcmp(isa, "base") == 0;
}

const Builtin* best_builtin() {
  if (cpu_has("avx512")) return &kAvx512;
  if (cpu_has("avx2")) return &kAvx2;
  return &kBase;
}

std::atomic<const Builtin*> chosen_builtin{nullptr};

void apply_env_once();

const Builtin& builtin() {
  apply_env_once();
  const Builtin* b = chosen_builtin.load(std::memory_order_relaxed);
  if (b == nullptr) {
    b = best_builtin();
    chosen_builtin.store(b, std::memory_order_relaxed);
  }
  return *b;
}

// Which product runs when nobody asks: OpenBLAS when the build found it, except on CPUs with
// AVX-512, where the built-in kernels measured faster than OpenBLAS 0.3.21 on the VAE's
// shapes (BENCHMARKS.md). VAE_GEMM (openblas, builtin, avx512, avx2, base), or
// set_gemm_backend, chooses otherwise: how benchmarks and tests reach every path.
std::atomic<int> openblas_wanted{0};

bool set_backend(const char* which);

void apply_env_once() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef VAE_HAVE_OPENBLAS
    openblas_wanted.store(cpu_has("avx512") ? 0 : 1, std::memory_order_relaxed);
#endif
    const char* env = std::getenv("VAE_GEMM");
    if (env != nullptr) set_backend(env);
  });
}

bool use_openblas() {
  apply_env_once();
  return openblas_wanted.load(std::memory_order_relaxed) == 1;
}

// Below this many multiply-adds, waking a second thread costs more than it saves.
constexpr double kParallelMacs = 1 << 18;

bool set_backend(const char* which) {
  if (std::strcmp(which, "openblas") == 0) {
#ifdef VAE_HAVE_OPENBLAS
    openblas_wanted.store(1, std::memory_order_relaxed);
    return true;
#else
    return false;
#endif
  }
  const Builtin* b = nullptr;
  if (std::strcmp(which, "builtin") == 0) b = best_builtin();
  for (const Builtin* isa : {&kAvx512, &kAvx2, &kBase})
    if (std::strcmp(which, isa->name) == 0 && cpu_has(isa->name)) b = isa;
  if (b == nullptr) return false;
  chosen_builtin.store(b, std::memory_order_relaxed);
  openblas_wanted.store(0, std::memory_order_relaxed);
  return true;
}

}  // namespace

bool set_gemm_backend(const char* which) {
  apply_env_once();  // first, so the environment cannot undo this choice later
  return set_backend(which);
}

const char* gemm_backend() { return use_openblas() ? "openblas" : builtin().name; }

int fused_threads() {
  // OpenBLAS keeps its own threads on the cores; a second pool would oversubscribe them.
  return use_openblas() ? 1 : pool().threads();
}

void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b, float beta, float* c) {
  const std::ptrdiff_t lda = ta ? m : k;
  const std::ptrdiff_t ldb = tb ? k : n;
  const std::ptrdiff_t ldc = n;
#ifdef VAE_HAVE_OPENBLAS
  if (use_openblas()) {
    if (m > 0 && n > 0) {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
                  static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
    }
    return;
  }
#endif
  const Builtin& kernel = builtin();
  const GemmFn fn = kernel.fn;
  const int threads = pool().threads();
  if (threads == 1 || static_cast<double>(m) * n * k < kParallelMacs) {
    fn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Each thread takes a band of C: columns when C is wide, rows when it is tall. Bands are
  // whole micro-tiles of this kernel wide, and as even as that allows: 400 columns split
  // 208 + 192 on AVX2, where bands of 32 made it 224 + 176 and one thread waited.
  const bool byColumns = n >= m;
  const int extent = byColumns ? n : m;
  const int align = byColumns ? kernel.nr : kernel.mr;
  const int tiles = (extent + align - 1) / align;
  const int band = (tiles + threads - 1) / threads * align;
  const int parts = (extent + band - 1) / band;
  pool().run(parts, [&](int part) {
    const int from = part * band;
    const int size = std::min(band, extent - from);
    if (byColumns) {
      fn(ta, tb, m, size, k, alpha, a, lda, tb ? b + from * ldb : b + from, ldb, beta, c + from, ldc);
    } else {
      fn(ta, tb, size, n, k, alpha, ta ? a + from : a + from * lda, lda, b, ldb, beta, c + from * ldc, ldc);
    }
  });
}

}  // namespace vae
