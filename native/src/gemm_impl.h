// The built-in matrix product, written once and compiled once per instruction set (see
// gemm_avx512.cc, gemm_avx2.cc, gemm_base.cc): each includes this file after defining
//   VAE_GEMM_NAME  the function's name,
//   VAE_LANES      floats per SIMD vector (16, 8 or 4),
//   VAE_MR         rows of C per micro-tile.
// A micro-tile is MR x NR with NR = 2 vectors; its MR * 2 accumulators stay in registers.
//
// The loops follow Goto and van de Geijn ("Anatomy of high-performance matrix
// multiplication", 2008): a KC-deep slab of B is packed into NR-wide slivers, an MC x KC
// block of A into MR-tall slivers, and the micro-kernel streams both contiguously.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "gemm.h"

namespace {

typedef float vec __attribute__((vector_size(VAE_LANES * 4)));
typedef float vec_u __attribute__((vector_size(VAE_LANES * 4), aligned(4)));

constexpr int W = VAE_LANES;
constexpr int MR = VAE_MR;
constexpr int NR = 2 * W;
constexpr int KC = 256;
constexpr int MC = 96;  // a multiple of every MR in use (8, 6 and 4)
constexpr int NC = 2048;

static_assert(MC % MR == 0, "MC must be a multiple of MR");

inline vec load(const float* p) { return *reinterpret_cast<const vec_u*>(p); }
inline void store(float* p, vec v) { *reinterpret_cast<vec_u*>(p) = v; }

// acc = Ap (MR x kc, packed by k) * Bp (kc x NR, packed by k), then C = alpha acc + beta C.
inline void micro_kernel(int kc, const float* __restrict ap, const float* __restrict bp, float alpha, float beta,
                         float* __restrict c, std::ptrdiff_t ldc) {
  vec acc0[MR];
  vec acc1[MR];
  for (int i = 0; i < MR; i++) {
    acc0[i] = vec{} ;
    acc1[i] = vec{};
  }
  for (int p = 0; p < kc; p++) {
    const vec b0 = load(bp);
    const vec b1 = load(bp + W);
    for (int i = 0; i < MR; i++) {
      const float a = ap[i];
      acc0[i] += a * b0;
      acc1[i] += a * b1;
    }
    ap += MR;
    bp += NR;
  }
  for (int i = 0; i < MR; i++) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      store(row, alpha * acc0[i]);
      store(row + W, alpha * acc1[i]);
    } else {
      store(row, alpha * acc0[i] + beta * load(row));
      store(row + W, alpha * acc1[i] + beta * load(row + W));
    }
  }
}

struct Scratch {
  std::vector<float> a;
  std::vector<float> b;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Packs rows [i0, i0 + mc) and depths [p0, p0 + kc) of op(A) into MR-tall slivers,
// zero-padded. The inner loops read memory in order; the writes land in the small packed
// buffer, which stays in cache.
void pack_a(bool ta, const float* a, std::ptrdiff_t lda, int i0, int mc, int p0, int kc, float* out) {
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    float* sliver = out + static_cast<std::ptrdiff_t>(s) * kc;
    if (rows < MR) std::fill(sliver, sliver + static_cast<std::ptrdiff_t>(MR) * kc, 0.0f);
    if (ta) {
      // op(A)[i][q] = a[q * lda + i]: MR neighbours of each stored row.
      for (int p = 0; p < kc; p++) {
        const float* src = a + static_cast<std::ptrdiff_t>(p0 + p) * lda + i0 + s;
        for (int r = 0; r < rows; r++) sliver[p * MR + r] = src[r];
      }
    } else {
      for (int r = 0; r < rows; r++) {
        const float* src = a + static_cast<std::ptrdiff_t>(i0 + s + r) * lda + p0;
        for (int p = 0; p < kc; p++) sliver[p * MR + r] = src[p];
      }
    }
  }
}

// Packs depths [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into NR-wide slivers.
void pack_b(bool tb, const float* b, std::ptrdiff_t ldb, int p0, int kc, int j0, int nc, float* out) {
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    float* sliver = out + static_cast<std::ptrdiff_t>(s) * kc;
    if (cols < NR) std::fill(sliver, sliver + static_cast<std::ptrdiff_t>(NR) * kc, 0.0f);
    if (tb) {
      // op(B)[q][j] = b[j * ldb + q]: each stored row is one column of the sliver. Taken 16
      // depths at a time, so that the writes stay within a few cache lines of the sliver
      // (which alone fills a small L1 cache) while the reads run along each stored row.
      for (int p = 0; p < kc; p += 16) {
        const int depth = std::min(16, kc - p);
        for (int c = 0; c < cols; c++) {
          const float* src = b + static_cast<std::ptrdiff_t>(j0 + s + c) * ldb + p0 + p;
          float* dst = sliver + static_cast<std::ptrdiff_t>(p) * NR + c;
          for (int q = 0; q < depth; q++) dst[q * NR] = src[q];
        }
      }
    } else {
      for (int p = 0; p < kc; p++) {
        const float* src = b + static_cast<std::ptrdiff_t>(p0 + p) * ldb + j0 + s;
        if (cols == NR) {
          std::memcpy(sliver + p * NR, src, NR * sizeof(float));
        } else {
          for (int c = 0; c < cols; c++) sliver[p * NR + c] = src[c];
        }
      }
    }
  }
}

}  // namespace

namespace vae {

void VAE_GEMM_NAME(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, std::ptrdiff_t lda,
                   const float* b, std::ptrdiff_t ldb, float beta, float* c, std::ptrdiff_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  Scratch& s = scratch();
  const int ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const int mcMax = std::min(MC, (m + MR - 1) / MR * MR);
  s.a.resize(static_cast<size_t>(mcMax) * KC);
  s.b.resize(static_cast<size_t>(ncMax) * KC);
  float tile[MR * NR];

  for (int j0 = 0; j0 < n; j0 += NC) {
    const int nc = std::min(NC, n - j0);
    for (int p0 = 0; p0 < k; p0 += KC) {
      const int kc = std::min(KC, k - p0);
      // The first slab applies the caller's beta; later slabs add onto what is there.
      const float betaHere = p0 == 0 ? beta : 1.0f;
      pack_b(tb, b, ldb, p0, kc, j0, nc, s.b.data());
      for (int i0 = 0; i0 < m; i0 += MC) {
        const int mc = std::min(MC, m - i0);
        pack_a(ta, a, lda, i0, mc, p0, kc, s.a.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const int cols = std::min(NR, nc - jr);
          const float* bp = s.b.data() + static_cast<size_t>(jr) * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            const int rows = std::min(MR, mc - ir);
            const float* ap = s.a.data() + static_cast<size_t>(ir) * kc;
            float* cp = c + static_cast<std::ptrdiff_t>(i0 + ir) * ldc + j0 + jr;
            if (rows == MR && cols == NR) {
              micro_kernel(kc, ap, bp, alpha, betaHere, cp, ldc);
            } else {
              // Edge tile: compute in full into a buffer, then merge the valid part.
              micro_kernel(kc, ap, bp, 1.0f, 0.0f, tile, NR);
              for (int r = 0; r < rows; r++)
                for (int q = 0; q < cols; q++) {
                  float* dst = cp + r * ldc + q;
                  const float v = alpha * tile[r * NR + q];
                  *dst = betaHere == 0.0f ? v : v + betaHere * *dst;
                }
            }
          }
        }
      }
    }
  }
}

}  // namespace vae
