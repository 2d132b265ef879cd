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

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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

// acc = Ap (MR x kc, packed by k) * Bp (kc x NR, rows `bstride` apart: NR when packed, or
// B's own row stride when read in place), then C = alpha acc + beta C.
inline void micro_kernel(int kc, const float* __restrict ap, const float* __restrict bp, std::ptrdiff_t bstride,
                         float alpha, float beta, float* __restrict c, std::ptrdiff_t ldc) {
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
    bp += bstride;
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

// Copies `rows` stored rows of `src` (each `ld` apart, `kc` values read along each) into
// out[p * R + r]: the layout of a packed sliver. With the rows along the matrix's depth this
// is a transposition, which a scalar loop does one float at a time with scattered stores;
// with AVX2 it goes 8 rows by 8 depths at a time through registers. `rows` is R, or fewer
// for an edge sliver (whose zero padding the caller has written).
template <int R>
void pack_transposed(const float* src, std::ptrdiff_t ld, int rows, int kc, float* out) {
  int p = 0;
#if defined(__AVX2__)
  // Whole groups of 8 rows; R = 6 (AVX2's MR) takes one group of 6, whose stores of 8
  // floats overrun into the next depth's slot, which the next store then fills: hence the
  // scratch's slack, and the increasing order of the stores.
  constexpr int kGroup = R < 8 ? R : 8;
  if (rows == R && (R % 8 == 0 || R == 6)) {
    for (; p + 8 <= kc; p += 8) {
      for (int g = 0; g < R; g += kGroup) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) r[i] = i < kGroup ? _mm256_loadu_ps(src + (g + i) * ld + p) : _mm256_setzero_ps();
        const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        // Column q of the 8 x 8 block: depth p + q of the 8 rows.
        const __m256 col[8] = {
            _mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
            _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
            _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
            _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
        for (int q = 0; q < 8; q++) _mm256_storeu_ps(out + static_cast<std::ptrdiff_t>(p + q) * R + g, col[q]);
      }
    }
  }
#endif
  for (; p < kc; p++)
    for (int r = 0; r < rows; r++) out[static_cast<std::ptrdiff_t>(p) * R + r] = src[r * ld + p];
}

// Floats of slack after each packed buffer, for pack_transposed's overrunning stores.
constexpr int kPackSlack = 8;

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
        if (rows == MR) {
          std::memcpy(sliver + p * MR, src, MR * sizeof(float));
        } else {
          for (int r = 0; r < rows; r++) sliver[p * MR + r] = src[r];
        }
      }
    } else {
      pack_transposed<MR>(a + static_cast<std::ptrdiff_t>(i0 + s) * lda + p0, lda, rows, kc, sliver);
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
      // op(B)[q][j] = b[j * ldb + q]: each stored row is one column of the sliver.
      pack_transposed<NR>(b + static_cast<std::ptrdiff_t>(j0 + s) * ldb + p0, ldb, cols, kc, sliver);
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
  s.a.resize(static_cast<size_t>(mcMax) * KC + kPackSlack);
  s.b.resize(static_cast<size_t>(ncMax) * KC + kPackSlack);
  float tile[MR * NR];
  // Slabs of about equal depth (784 = 3 x 200 + 184, not 3 x 256 + 16): a thin last slab
  // would pay a whole pass over C for little work. Multiples of 8 for the packing's 8 x 8
  // blocks.
  const int slabs = (k + KC - 1) / KC;
  const int kcStep = std::min(KC, ((k + slabs - 1) / slabs + 7) / 8 * 8);

  for (int j0 = 0; j0 < n; j0 += NC) {
    const int nc = std::min(NC, n - j0);
    for (int p0 = 0; p0 < k; p0 += kcStep) {
      const int kc = std::min(kcStep, k - p0);
      // The first slab applies the caller's beta; later slabs add onto what is there.
      const float betaHere = p0 == 0 ? beta : 1.0f;
      // B's rows already hold NR-wide slivers side by side when it is not transposed; with
      // few rows of A to reuse a packed copy (a conv layer's 64 x 288 weights against
      // 288 x 6272 patches), copying B costs a fifth of the product, so the micro-kernel
      // reads it in place, and only a last, narrower sliver is packed (zero-padded). Not for
      // thin slabs (a first conv layer's k = 9), where B's rows are far apart for little work
      // each and the packed copy measured faster.
      const int direct = !tb && m <= MC && kc >= 16 ? nc / NR * NR : 0;
      if (direct < nc) pack_b(tb, b, ldb, p0, kc, j0 + direct, nc - direct, s.b.data());
      for (int i0 = 0; i0 < m; i0 += MC) {
        const int mc = std::min(MC, m - i0);
        pack_a(ta, a, lda, i0, mc, p0, kc, s.a.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const int cols = std::min(NR, nc - jr);
          const bool inPlace = jr < direct;
          const float* bp = inPlace ? b + static_cast<std::ptrdiff_t>(p0) * ldb + j0 + jr
                                    : s.b.data() + static_cast<size_t>(jr - direct) * kc;
          const std::ptrdiff_t bstride = inPlace ? ldb : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const int rows = std::min(MR, mc - ir);
            const float* ap = s.a.data() + static_cast<size_t>(ir) * kc;
            float* cp = c + static_cast<std::ptrdiff_t>(i0 + ir) * ldc + j0 + jr;
            if (rows == MR && cols == NR) {
              micro_kernel(kc, ap, bp, bstride, alpha, betaHere, cp, ldc);
            } else {
              // Edge tile: compute in full into a buffer, then merge the valid part.
              micro_kernel(kc, ap, bp, bstride, 1.0f, 0.0f, tile, NR);
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
