/*
 * The kernels of src/kernels/kernels.ts in WebAssembly with 128-bit SIMD, compiled by clang
 * for wasm32 without any C library (wasm/build.cjs). Every pointer is an offset into the
 * module's own linear memory: src/kernels/wasm.ts copies operands in and results out.
 *
 * Nothing here keeps state, so several instances over one shared memory (one per thread,
 * each with its own scratch area and its own C stack, whose pointer is exported for that)
 * can run gemm_block at once.
 */
#include <wasm_simd128.h>

typedef v128_t f4;

/*
 * The last, partial group of four of a row: only its n real floats are read or written
 * (lane by lane, so nothing here touches the C stack).
 */
static inline f4 load_n(const float *p, int n) {
  if (n >= 4) return wasm_v128_load(p);
  return wasm_f32x4_make(p[0], n > 1 ? p[1] : 0.0f, n > 2 ? p[2] : 0.0f, 0.0f);
}
static inline void store_n(float *p, f4 v, int n) {
  if (n >= 4) {
    wasm_v128_store(p, v);
    return;
  }
  p[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

#define EXPORT(name) __attribute__((export_name(#name))) __attribute__((visibility("default")))

/* ---------------------------------------------------------------- matrix product */

/*
 * GotoBLAS's loop order: a kc x nc block of op(B) is packed once and stays in the outer
 * caches, an mc x kc block of op(A) in L2, and a micro-kernel keeps an MR x NR tile of C in
 * registers (MR x NR / 4 f32x4 accumulators) while it streams a packed panel of each. MR x NR
 * is 4 x 8: eight accumulators, two vectors of B and one broadcast of A fit the sixteen SIMD
 * registers x86-64 gives the engines (one of which V8 keeps for itself); 6 x 8 would need
 * fifteen and spills.
 */
#define MR 4
#define NR 8
#define KC 256
#define MC 128
#define NC 1024

/* Floats of scratch one thread's gemm_block needs: packed A and packed B. */
EXPORT(gemm_scratch_floats) int gemm_scratch_floats(void) { return MC * KC + KC * NC; }

/* The m x k operand op(A): rows [i0, i0 + mc), depth [p0, p0 + kc), as MR-row panels, zero-padded. */
static void pack_a(int ta, int m, int k, const float *a, int i0, int mc, int p0, int kc, float *out) {
  for (int r0 = 0; r0 < mc; r0 += MR) {
    int rows = mc - r0 < MR ? mc - r0 : MR;
    float *dst = out + r0 * kc;
    if (ta) {
      /* A is k x m: a row of A holds MR consecutive rows of op(A). */
      const float *src = a + (long)p0 * m + i0 + r0;
      if (rows == MR) {
        for (int p = 0; p < kc; p++) wasm_v128_store(dst + p * MR, wasm_v128_load(src + (long)p * m));
      } else {
        for (int p = 0; p < kc; p++)
          for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[(long)p * m + r] : 0.0f;
      }
    } else {
      const float *src = a + (long)(i0 + r0) * k + p0;
      if (rows == MR) {
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
          /* four rows x four depths, transposed with shuffles */
          f4 x0 = wasm_v128_load(src + p), x1 = wasm_v128_load(src + k + p);
          f4 x2 = wasm_v128_load(src + 2 * (long)k + p), x3 = wasm_v128_load(src + 3 * (long)k + p);
          f4 t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
          f4 t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
          wasm_v128_store(dst + p * MR, wasm_i64x2_shuffle(t0, t1, 0, 2));
          wasm_v128_store(dst + (p + 1) * MR, wasm_i64x2_shuffle(t0, t1, 1, 3));
          wasm_v128_store(dst + (p + 2) * MR, wasm_i64x2_shuffle(t2, t3, 0, 2));
          wasm_v128_store(dst + (p + 3) * MR, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
        for (; p < kc; p++)
          for (int r = 0; r < MR; r++) dst[p * MR + r] = src[(long)r * k + p];
      } else {
        for (int p = 0; p < kc; p++)
          for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[(long)r * k + p] : 0.0f;
      }
    }
  }
}

/* The k x n operand op(B): depth [p0, p0 + kc), columns [j0, j0 + nc), as NR-column panels, zero-padded. */
static void pack_b(int tb, int n, int k, const float *b, int p0, int kc, int j0, int nc, float *out) {
  for (int c0 = 0; c0 < nc; c0 += NR) {
    int cols = nc - c0 < NR ? nc - c0 : NR;
    float *dst = out + c0 * kc;
    if (!tb) {
      const float *src = b + (long)p0 * n + j0 + c0;
      if (cols == NR) {
        for (int p = 0; p < kc; p++) {
          wasm_v128_store(dst + p * NR, wasm_v128_load(src + (long)p * n));
          wasm_v128_store(dst + p * NR + 4, wasm_v128_load(src + (long)p * n + 4));
        }
      } else {
        for (int p = 0; p < kc; p++)
          for (int q = 0; q < NR; q++) dst[p * NR + q] = q < cols ? src[(long)p * n + q] : 0.0f;
      }
    } else {
      /* B is n x k: each column of op(B) is contiguous. */
      for (int q = 0; q < NR; q++) {
        if (q < cols) {
          const float *src = b + (long)(j0 + c0 + q) * k + p0;
          for (int p = 0; p < kc; p++) dst[p * NR + q] = src[p];
        } else {
          for (int p = 0; p < kc; p++) dst[p * NR + q] = 0.0f;
        }
      }
    }
  }
}

/* row[0, cols) = alpha (lo, hi) + (keep ? scale row : 0), cols <= NR. */
static inline void store_row(float *row, f4 lo, f4 hi, f4 alpha, f4 scale, int keep, int cols) {
  f4 v = wasm_f32x4_mul(alpha, lo);
  if (keep) v = wasm_f32x4_add(v, wasm_f32x4_mul(scale, load_n(row, cols)));
  store_n(row, v, cols);
  if (cols <= 4) return;
  v = wasm_f32x4_mul(alpha, hi);
  if (keep) v = wasm_f32x4_add(v, wasm_f32x4_mul(scale, load_n(row + 4, cols - 4)));
  store_n(row + 4, v, cols - 4);
}

/*
 * C[rows x cols tile] (ldc apart) = alpha * Ap Bp + (first ? beta C : C), for an MR x NR tile
 * of which only rows x cols are real. With first and beta == 0, C is never read.
 */
static void micro_kernel(int kc, const float *ap, const float *bp, float *c, int ldc, float alpha, float beta, int first,
                         int rows, int cols) {
  f4 c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++) {
    f4 b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    f4 a = wasm_v128_load32_splat(ap);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 1);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 2);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 3);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
    ap += MR;
    bp += NR;
  }
  f4 va = wasm_f32x4_splat(alpha), vb = wasm_f32x4_splat(first ? beta : 1.0f);
  int keep = !first || beta != 0.0f;
  store_row(c, c00, c01, va, vb, keep, cols);
  if (rows > 1) store_row(c + ldc, c10, c11, va, vb, keep, cols);
  if (rows > 2) store_row(c + 2 * (long)ldc, c20, c21, va, vb, keep, cols);
  if (rows > 3) store_row(c + 3 * (long)ldc, c30, c31, va, vb, keep, cols);
}

/*
 * The rows [i0, i1) x columns [j0, j1) of C[m x n] = alpha op(A) op(B) + beta C, with A m x k
 * (k x m when ta) and B k x n (n x k when tb), all row-major. Threads each take one block of C.
 */
EXPORT(gemm_block)
void gemm_block(int ta, int tb, int m, int n, int k, float alpha, const float *a, const float *b, float beta, float *c,
                int i0, int i1, int j0, int j1, float *scratch) {
  float *ap = scratch;
  float *bp = scratch + MC * KC;
  if (k == 0) {
    for (int i = i0; i < i1; i++)
      for (int j = j0; j < j1; j++) c[(long)i * n + j] = beta == 0.0f ? 0.0f : beta * c[(long)i * n + j];
    return;
  }
  for (int jc = j0; jc < j1; jc += NC) {
    int nc = j1 - jc < NC ? j1 - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      int kc = k - pc < KC ? k - pc : KC;
      pack_b(tb, n, k, b, pc, kc, jc, nc, bp);
      for (int ic = i0; ic < i1; ic += MC) {
        int mc = i1 - ic < MC ? i1 - ic : MC;
        pack_a(ta, m, k, a, ic, mc, pc, kc, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          int cols = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int rows = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, ap + ir * kc, bp + jr * kc, c + (long)(ic + ir) * n + jc + jr, n, alpha, beta, pc == 0, rows,
                         cols);
          }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------- exp and friends */

/*
 * exp(x) for four floats: x = n ln2 + r with |r| <= ln2 / 2, exp(r) by its Taylor series to
 * r^8 / 8! (truncation below 6e-9, under float rounding), times 2^n put into the exponent
 * bits. Inputs are clamped to [-87.3, 88.7], where 2^n stays a normal float; beyond 88.7
 * the answer is +inf, as Math.exp's would round to in float.
 */
static inline f4 exp4(f4 x) {
  const f4 hi = wasm_f32x4_splat(88.72283f);
  f4 over = wasm_f32x4_gt(x, hi);
  x = wasm_f32x4_pmin(wasm_f32x4_max(x, wasm_f32x4_splat(-87.33654f)), hi);
  f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  /* ln 2 in two parts, so n ln2_hi is exact and r keeps its low bits */
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  f4 p = wasm_f32x4_splat(1.0f / 40320.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 5040.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  /* 2^n: n + 127 in the exponent field; n is in [-126, 128] after the clamp, so split it */
  f4 ni = wasm_i32x4_trunc_sat_f32x4(n);
  f4 half = wasm_i32x4_shr(ni, 1);
  f4 s1 = wasm_i32x4_shl(wasm_i32x4_add(half, wasm_i32x4_splat(127)), 23);
  f4 s2 = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_sub(ni, half), wasm_i32x4_splat(127)), 23);
  f4 y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  return wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, over);
}

static inline float exp1(float x) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0); }

/*
 * log(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) <= 1/3, by the odd series to
 * s^17 / 17 (truncation under 1e-10); exact in relative terms for tiny e as well.
 */
static inline f4 log1p_unit4(f4 e) {
  f4 s = wasm_f32x4_div(e, wasm_f32x4_add(e, wasm_f32x4_splat(2.0f)));
  f4 s2 = wasm_f32x4_mul(s, s);
  f4 p = wasm_f32x4_splat(1.0f / 17.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 15.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 13.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 11.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 9.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 7.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 5.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 3.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f));
  return wasm_f32x4_mul(wasm_f32x4_splat(2.0f), wasm_f32x4_mul(s, p));
}

/* Four floats summed in double, so row sums of hundreds of terms lose nothing to float rounding. */
static inline double sum4(f4 v, double acc) {
  f4 lo = wasm_f64x2_promote_low_f32x4(v);
  f4 hi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0));
  f4 s = wasm_f64x2_add(lo, hi);
  return acc + wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}

/* ---------------------------------------------------------------- linear layers */

EXPORT(add_bias) void add_bias(float *y, const float *bias, int rows, int cols, int relu) {
  f4 zero = wasm_f32x4_splat(0);
  for (int i = 0; i < rows; i++) {
    float *row = y + (long)i * cols;
    for (int j = 0; j < cols; j += 4) {
      int w = cols - j;
      f4 v = wasm_f32x4_add(load_n(row + j, w), load_n(bias + j, w));
      if (relu) v = wasm_f32x4_pmax(zero, v);
      store_n(row + j, v, w);
    }
  }
}

EXPORT(sum_rows_into) void sum_rows_into(const float *g, int rows, int cols, float *out) {
  for (int j = 0; j < cols; j += 4) {
    int w = cols - j;
    f4 acc = wasm_f32x4_splat(0);
    for (int i = 0; i < rows; i++) acc = wasm_f32x4_add(acc, load_n(g + (long)i * cols + j, w));
    store_n(out + j, wasm_f32x4_add(load_n(out + j, w), acc), w);
  }
}

EXPORT(bias_activation_backward)
void bias_activation_backward(const float *y, const float *g, int rows, int cols, int relu, float *gpre, float *gbias) {
  long n = (long)rows * cols;
  if (relu) {
    f4 zero = wasm_f32x4_splat(0);
    long i = 0;
    for (; i + 4 <= n; i += 4)
      wasm_v128_store(gpre + i, wasm_v128_and(wasm_v128_load(g + i), wasm_f32x4_gt(wasm_v128_load(y + i), zero)));
    for (; i < n; i++) gpre[i] = y[i] > 0 ? g[i] : 0.0f;
  } else if (gpre != g) {
    __builtin_memcpy(gpre, g, n * sizeof(float));
  }
  if (gbias) sum_rows_into(gpre, rows, cols, gbias);
}

EXPORT(relu) void relu(const float *x, float *out, int n) {
  f4 zero = wasm_f32x4_splat(0);
  for (int i = 0; i < n; i += 4) store_n(out + i, wasm_f32x4_pmax(zero, load_n(x + i, n - i)), n - i);
}

EXPORT(relu_backward) void relu_backward(const float *y, const float *gy, float *gx, int n) {
  f4 zero = wasm_f32x4_splat(0);
  for (int i = 0; i < n; i += 4) {
    int w = n - i;
    f4 mask = wasm_f32x4_gt(load_n(y + i, w), zero);
    store_n(gx + i, wasm_f32x4_add(load_n(gx + i, w), wasm_v128_and(load_n(gy + i, w), mask)), w);
  }
}

/* ---------------------------------------------------------------- likelihood, KL, reparameterize */

EXPORT(bce_with_logits)
void bce_with_logits(const float *logits, const float *targets, int rows, int cols, float *out, float *delta) {
  f4 zero = wasm_f32x4_splat(0), one = wasm_f32x4_splat(1);
  for (int i = 0; i < rows; i++) {
    const float *x = logits + (long)i * cols;
    const float *t = targets + (long)i * cols;
    double s = 0;
    for (int j = 0; j < cols; j += 4) {
      int w = cols - j;
      f4 xv = load_n(x + j, w), tv = load_n(t + j, w);
      f4 e = exp4(wasm_f32x4_neg(wasm_f32x4_abs(xv)));
      f4 term = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_pmax(zero, xv), wasm_f32x4_mul(xv, tv)), log1p_unit4(e));
      if (w < 4) term = wasm_v128_and(term, wasm_i32x4_gt(wasm_i32x4_splat(w), wasm_i32x4_make(0, 1, 2, 3)));
      s = sum4(term, s);
      if (delta) {
        /* sigmoid(x) from the side where exp cannot overflow */
        f4 inv = wasm_f32x4_div(one, wasm_f32x4_add(one, e));
        f4 sig = wasm_v128_bitselect(inv, wasm_f32x4_mul(e, inv), wasm_f32x4_ge(xv, zero));
        store_n(delta + (long)i * cols + j, wasm_f32x4_sub(sig, tv), w);
      }
    }
    out[i] = (float)s;
  }
}

EXPORT(bce_with_logits_backward)
void bce_with_logits_backward(const float *logits, const float *targets, const float *grow, int rows, int cols, float *glogits,
                              float *gtargets, const float *delta) {
  f4 zero = wasm_f32x4_splat(0), one = wasm_f32x4_splat(1);
  for (int i = 0; i < rows; i++) {
    long base = (long)i * cols;
    f4 g = wasm_f32x4_splat(grow[i]);
    for (int j = 0; j < cols; j += 4) {
      int w = cols - j;
      f4 xv = load_n(logits + base + j, w);
      if (glogits) {
        f4 d;
        if (delta) {
          d = load_n(delta + base + j, w);
        } else {
          f4 e = exp4(wasm_f32x4_neg(wasm_f32x4_abs(xv)));
          f4 inv = wasm_f32x4_div(one, wasm_f32x4_add(one, e));
          f4 sig = wasm_v128_bitselect(inv, wasm_f32x4_mul(e, inv), wasm_f32x4_ge(xv, zero));
          d = wasm_f32x4_sub(sig, load_n(targets + base + j, w));
        }
        store_n(glogits + base + j, wasm_f32x4_add(load_n(glogits + base + j, w), wasm_f32x4_mul(g, d)), w);
      }
      if (gtargets) store_n(gtargets + base + j, wasm_f32x4_sub(load_n(gtargets + base + j, w), wasm_f32x4_mul(g, xv)), w);
    }
  }
}

EXPORT(gaussian_kl) void gaussian_kl(const float *mu, const float *logvar, int rows, int cols, float *out) {
  f4 one = wasm_f32x4_splat(1);
  for (int i = 0; i < rows; i++) {
    long base = (long)i * cols;
    double s = 0;
    for (int j = 0; j < cols; j += 4) {
      int w = cols - j;
      f4 m = load_n(mu + base + j, w), lv = load_n(logvar + base + j, w);
      f4 term = wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(m, m), exp4(lv)), wasm_f32x4_add(one, lv));
      if (w < 4) term = wasm_v128_and(term, wasm_i32x4_gt(wasm_i32x4_splat(w), wasm_i32x4_make(0, 1, 2, 3)));
      s = sum4(term, s);
    }
    out[i] = (float)(0.5 * s);
  }
}

EXPORT(gaussian_kl_backward)
void gaussian_kl_backward(const float *mu, const float *logvar, const float *grow, int rows, int cols, float *gmu, float *glogvar) {
  f4 one = wasm_f32x4_splat(1), half = wasm_f32x4_splat(0.5f);
  for (int i = 0; i < rows; i++) {
    long base = (long)i * cols;
    f4 g = wasm_f32x4_splat(grow[i]);
    for (int j = 0; j < cols; j += 4) {
      int w = cols - j;
      if (gmu) store_n(gmu + base + j, wasm_f32x4_add(load_n(gmu + base + j, w), wasm_f32x4_mul(g, load_n(mu + base + j, w))), w);
      if (glogvar) {
        f4 d = wasm_f32x4_mul(half, wasm_f32x4_sub(exp4(load_n(logvar + base + j, w)), one));
        store_n(glogvar + base + j, wasm_f32x4_add(load_n(glogvar + base + j, w), wasm_f32x4_mul(g, d)), w);
      }
    }
  }
}

EXPORT(reparameterize) void reparameterize(const float *mu, const float *logvar, const float *eps, float *z, int n) {
  f4 half = wasm_f32x4_splat(0.5f);
  for (int i = 0; i < n; i += 4) {
    int w = n - i;
    f4 sigma = exp4(wasm_f32x4_mul(half, load_n(logvar + i, w)));
    store_n(z + i, wasm_f32x4_add(load_n(mu + i, w), wasm_f32x4_mul(sigma, load_n(eps + i, w))), w);
  }
}

EXPORT(reparameterize_backward)
void reparameterize_backward(const float *logvar, const float *eps, const float *gz, float *gmu, float *glogvar, int n) {
  f4 half = wasm_f32x4_splat(0.5f);
  for (int i = 0; i < n; i += 4) {
    int w = n - i;
    f4 g = load_n(gz + i, w);
    if (gmu) store_n(gmu + i, wasm_f32x4_add(load_n(gmu + i, w), g), w);
    if (glogvar) {
      f4 d = wasm_f32x4_mul(wasm_f32x4_mul(g, load_n(eps + i, w)), wasm_f32x4_mul(half, exp4(wasm_f32x4_mul(half, load_n(logvar + i, w)))));
      store_n(glogvar + i, wasm_f32x4_add(load_n(glogvar + i, w), d), w);
    }
  }
}

/*
 * One Adam step over one parameter array; the bias corrections (powers of beta1, beta2) are
 * computed once by the caller: step_size = lr / (1 - b1^t), inv_sqrt_bc2 = 1 / sqrt(1 - b2^t).
 */
EXPORT(adam_update)
void adam_update(float *param, const float *grad, float *m, float *v, int n, float beta1, float beta2, float eps, float step_size,
                 float inv_sqrt_bc2) {
  f4 b1 = wasm_f32x4_splat(beta1), b2 = wasm_f32x4_splat(beta2);
  f4 c1 = wasm_f32x4_splat(1.0f - beta1), c2 = wasm_f32x4_splat(1.0f - beta2);
  f4 ve = wasm_f32x4_splat(eps), vs = wasm_f32x4_splat(step_size), vi = wasm_f32x4_splat(inv_sqrt_bc2);
  for (int i = 0; i < n; i += 4) {
    int w = n - i;
    f4 g = load_n(grad + i, w);
    f4 mi = wasm_f32x4_add(wasm_f32x4_mul(b1, load_n(m + i, w)), wasm_f32x4_mul(c1, g));
    f4 vv = wasm_f32x4_add(wasm_f32x4_mul(b2, load_n(v + i, w)), wasm_f32x4_mul(wasm_f32x4_mul(c2, g), g));
    store_n(m + i, mi, w);
    store_n(v + i, vv, w);
    f4 den = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sqrt(vv), vi), ve);
    store_n(param + i, wasm_f32x4_sub(load_n(param + i, w), wasm_f32x4_div(wasm_f32x4_mul(vs, mi), den)), w);
  }
}

/* ---------------------------------------------------------------- convolution layouts */

/* The output columns whose input column ox s - p + j falls inside [0, w): [*from, *to). */
static void valid_columns(int j, int w, int s, int p, int wo, int *from, int *to) {
  int f = p - j <= 0 ? 0 : (p - j + s - 1) / s;
  int t = w - 1 + p - j < 0 ? 0 : (w - 1 + p - j) / s + 1;
  if (f > wo) f = wo;
  if (t < f) t = f;
  if (t > wo) t = wo;
  *from = f;
  *to = t;
}

EXPORT(im2col)
void im2col(const float *x, int N, int C, int H, int W, int kh, int kw, int s, int p, int Ho, int Wo, float *col) {
  long P = (long)Ho * Wo, NP = N * P;
  for (int c = 0; c < C; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        int ox0, ox1;
        valid_columns(j, W, s, p, Wo, &ox0, &ox1);
        long row_base = ((long)(c * kh + i) * kw + j) * NP;
        for (int b = 0; b < N; b++) {
          const float *plane = x + ((long)b * C + c) * H * W;
          float *base = col + row_base + b * P;
          for (int oy = 0; oy < Ho; oy++) {
            int iy = oy * s - p + i;
            float *dst = base + (long)oy * Wo;
            if (iy < 0 || iy >= H) {
              for (int ox = 0; ox < Wo; ox++) dst[ox] = 0.0f;
              continue;
            }
            const float *src = plane + (long)iy * W - p + j;
            for (int ox = 0; ox < ox0; ox++) dst[ox] = 0.0f;
            if (s == 1) __builtin_memcpy(dst + ox0, src + ox0, (ox1 - ox0) * sizeof(float));
            else for (int ox = ox0; ox < ox1; ox++) dst[ox] = src[(long)ox * s];
            for (int ox = ox1; ox < Wo; ox++) dst[ox] = 0.0f;
          }
        }
      }
}

EXPORT(col2im)
void col2im(const float *col, int N, int C, int H, int W, int kh, int kw, int s, int p, int Ho, int Wo, float *x) {
  long P = (long)Ho * Wo, NP = N * P;
  for (int c = 0; c < C; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        int ox0, ox1;
        valid_columns(j, W, s, p, Wo, &ox0, &ox1);
        long row_base = ((long)(c * kh + i) * kw + j) * NP;
        for (int b = 0; b < N; b++) {
          float *plane = x + ((long)b * C + c) * H * W;
          const float *base = col + row_base + b * P;
          for (int oy = 0; oy < Ho; oy++) {
            int iy = oy * s - p + i;
            if (iy < 0 || iy >= H) continue;
            float *dst = plane + (long)iy * W - p + j;
            const float *src = base + (long)oy * Wo;
            for (int ox = ox0; ox < ox1; ox++) dst[(long)ox * s] += src[ox];
          }
        }
      }
}

EXPORT(to_channel_major) void to_channel_major(const float *x, int n, int c, int s, float *out) {
  for (int b = 0; b < n; b++)
    for (int ch = 0; ch < c; ch++)
      __builtin_memcpy(out + ((long)ch * n + b) * s, x + ((long)b * c + ch) * s, (long)s * sizeof(float));
}

EXPORT(from_channel_major)
void from_channel_major(const float *x, int n, int c, int s, const float *bias, float *out, int accumulate) {
  for (int b = 0; b < n; b++)
    for (int ch = 0; ch < c; ch++) {
      const float *src = x + ((long)ch * n + b) * s;
      float *dst = out + ((long)b * c + ch) * s;
      f4 v = wasm_f32x4_splat(bias ? bias[ch] : 0.0f);
      for (int i = 0; i < s; i += 4) {
        int w = s - i;
        f4 y = wasm_f32x4_add(load_n(src + i, w), v);
        if (accumulate) y = wasm_f32x4_add(load_n(dst + i, w), y);
        store_n(dst + i, y, w);
      }
    }
}

EXPORT(add_channel_bias) void add_channel_bias(float *y, const float *bias, int n, int c, int s) {
  for (int b = 0; b < n; b++)
    for (int ch = 0; ch < c; ch++) {
      float *row = y + ((long)b * c + ch) * s;
      f4 v = wasm_f32x4_splat(bias[ch]);
      for (int i = 0; i < s; i += 4) store_n(row + i, wasm_f32x4_add(load_n(row + i, s - i), v), s - i);
    }
}

EXPORT(sum_channels_into) void sum_channels_into(const float *g, int n, int c, int s, float *out) {
  for (int ch = 0; ch < c; ch++) {
    double acc = 0;
    for (int b = 0; b < n; b++) {
      const float *row = g + ((long)b * c + ch) * s;
      f4 part = wasm_f32x4_splat(0);
      for (int i = 0; i < s; i += 4) {
        f4 v = load_n(row + i, s - i);
        part = wasm_f32x4_add(part, v);
      }
      acc = sum4(part, acc);
    }
    out[ch] += (float)acc;
  }
}
