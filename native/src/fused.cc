#include "fused.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "parallel.h"
#include "pool.h"
#include "vmath.h"

// Each hot loop is compiled for several instruction sets and the best one is chosen when
// the addon loads (GCC function multi-versioning). The 16-float vectors of vmath.h become
// one AVX-512 register, two AVX2 registers, or four SSE registers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VAE_CLONES
#endif

namespace vae {

namespace {

constexpr int L = 16;

// A partial vector: the first `count` floats of p, zeros after.
VAE_INLINE v16 load_part(const float* p, int count) {
  float tmp[L] = {};
  std::memcpy(tmp, p, static_cast<std::size_t>(count) * sizeof(float));
  return vload(tmp);
}

VAE_INLINE void store_part(float* p, v16 v, int count) {
  float tmp[L];
  vstore(tmp, v);
  std::memcpy(p, tmp, static_cast<std::size_t>(count) * sizeof(float));
}

VAE_INLINE float hsum(v16 v) {
  float tmp[L];
  vstore(tmp, v);
  // Pairwise, in a fixed order, so the result does not depend on the instruction set.
  for (int w = L / 2; w > 0; w /= 2)
    for (int i = 0; i < w; i++) tmp[i] += tmp[i + w];
  return tmp[0];
}


// ---- bias and ReLU -------------------------------------------------------------------

VAE_CLONES void add_bias_rows(float* y, const float* bias, int r0, int r1, int cols, bool relu) {
  for (int i = r0; i < r1; i++) {
    float* row = y + static_cast<std::size_t>(i) * cols;
    if (relu) {
      for (int j = 0; j < cols; j++) row[j] = std::max(row[j] + bias[j], 0.0f);
    } else {
      for (int j = 0; j < cols; j++) row[j] += bias[j];
    }
  }
}

VAE_CLONES void relu_range(const float* x, float* out, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; i++) out[i] = std::max(x[i], 0.0f);
}

VAE_CLONES void relu_backward_range(const float* y, const float* gy, float* gx, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; i++) gx[i] += y[i] > 0.0f ? gy[i] : 0.0f;
}

// Column sums go by column bands so that two threads never add into the same gbias[j].
VAE_CLONES void bias_activation_backward_cols(const float* y, const float* g, int rows, int cols, int c0, int c1,
                                              bool relu, float* gpre, float* gbias) {
  for (int i = 0; i < rows; i++) {
    const std::size_t base = static_cast<std::size_t>(i) * cols;
    if (relu) {
      for (int j = c0; j < c1; j++) gpre[base + j] = y[base + j] > 0.0f ? g[base + j] : 0.0f;
    } else if (gpre != g) {
      for (int j = c0; j < c1; j++) gpre[base + j] = g[base + j];
    }
    if (gbias != nullptr)
      for (int j = c0; j < c1; j++) gbias[j] += gpre[base + j];
  }
}

VAE_CLONES void sum_rows_cols(const float* g, int rows, int cols, int c0, int c1, float* out) {
  for (int i = 0; i < rows; i++) {
    const float* row = g + static_cast<std::size_t>(i) * cols;
    for (int j = c0; j < c1; j++) out[j] += row[j];
  }
}

template <typename F>
void parallel_columns(int rows, int cols, F&& body) {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  const int threads = fused_threads();
  if (threads <= 1 || n < 2 * kMinElements || cols < 64) {
    body(0, cols);
    return;
  }
  // Bands of whole cache lines (16 floats) so the threads never share one.
  const int band = ((cols + threads - 1) / threads + 15) / 16 * 16;
  const int parts = (cols + band - 1) / band;
  pool().run(parts, [&](int part) {
    const int c0 = part * band;
    const int c1 = std::min(cols, c0 + band);
    if (c0 < c1) body(c0, c1);
  });
}

// ---- binary cross-entropy with logits ---------------------------------------------------

// bce(x, t) = max(x, 0) - x t + log(1 + exp(-|x|));  its x-gradient is sigmoid(x) - t.
VAE_INLINE v16 bce_terms(v16 x, v16 t, v16* delta) {
  const v16 e = vexp(-vabs(x));
  if (delta != nullptr) {
    const v16 inv = 1.0f / (1.0f + e);
    const v16 sig = x >= 0.0f ? inv : e * inv;
    *delta = sig - t;
  }
  return vmax(x, splat(0.0f)) - x * t + vlog1p_0_1(e);
}

VAE_CLONES void bce_rows(const float* x, const float* t, int r0, int r1, int cols, float* out, float* delta) {
  const int full = cols - cols % L;
  const int tail = cols - full;
  for (int i = r0; i < r1; i++) {
    const std::size_t base = static_cast<std::size_t>(i) * cols;
    v16 acc = splat(0.0f);
    v16 d;
    for (int j = 0; j < full; j += L) {
      acc += bce_terms(vload(x + base + j), vload(t + base + j), delta ? &d : nullptr);
      if (delta) vstore(delta + base + j, d);
    }
    if (tail > 0) {
      // Padding lanes are x = 0, t = 0: each would add log 2, so they are masked out.
      v16 terms = bce_terms(load_part(x + base + full, tail), load_part(t + base + full, tail), delta ? &d : nullptr);
      float tmp[L];
      vstore(tmp, terms);
      for (int q = tail; q < L; q++) tmp[q] = 0.0f;
      acc += vload(tmp);
      if (delta) store_part(delta + base + full, d, tail);
    }
    out[i] = hsum(acc);
  }
}

VAE_CLONES void bce_backward_rows(const float* x, const float* t, const float* grow, int r0, int r1, int cols,
                                  float* gx, float* gt, const float* delta) {
  for (int i = r0; i < r1; i++) {
    const std::size_t base = static_cast<std::size_t>(i) * cols;
    const float g = grow[i];
    if (gx != nullptr) {
      if (delta != nullptr) {
        for (int j = 0; j < cols; j++) gx[base + j] += g * delta[base + j];
      } else {
        const int full = cols - cols % L;
        for (int j = 0; j < full; j += L) {
          v16 d;
          bce_terms(vload(x + base + j), vload(t + base + j), &d);
          vstore(gx + base + j, vload(gx + base + j) + g * d);
        }
        if (full < cols) {
          const int tail = cols - full;
          v16 d;
          bce_terms(load_part(x + base + full, tail), load_part(t + base + full, tail), &d);
          store_part(gx + base + full, load_part(gx + base + full, tail) + g * d, tail);
        }
      }
    }
    if (gt != nullptr)
      for (int j = 0; j < cols; j++) gt[base + j] -= g * x[base + j];
  }
}

// ---- Adam -----------------------------------------------------------------------------------

VAE_CLONES void adam_range(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, std::size_t from, std::size_t to, float beta1,
                           float beta2, float stepSize, float invSqrtBc2, float eps) {
  const float oneMinusB1 = 1.0f - beta1;
  const float oneMinusB2 = 1.0f - beta2;
  for (std::size_t i = from; i < to; i++) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + oneMinusB1 * gi;
    const float vi = beta2 * v[i] + oneMinusB2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= stepSize * mi / (std::sqrt(vi) * invSqrtBc2 + eps);
  }
}

}  // namespace

void add_bias(float* y, const float* bias, int rows, int cols, bool relu) {
  parallel_range(static_cast<std::size_t>(rows), std::max<std::size_t>(1, kMinElements / std::max(cols, 1)),
                 [&](std::size_t r0, std::size_t r1) {
                   add_bias_rows(y, bias, static_cast<int>(r0), static_cast<int>(r1), cols, relu);
                 });
}

void sum_rows_into(const float* g, int rows, int cols, float* out) {
  parallel_columns(rows, cols, [&](int c0, int c1) { sum_rows_cols(g, rows, cols, c0, c1, out); });
}

void relu(const float* x, float* out, std::size_t n) {
  parallel_range(n, kMinElements, [&](std::size_t a, std::size_t b) { relu_range(x, out, a, b); });
}

void relu_backward(const float* y, const float* gy, float* gx, std::size_t n) {
  parallel_range(n, kMinElements, [&](std::size_t a, std::size_t b) { relu_backward_range(y, gy, gx, a, b); });
}

void bias_activation_backward(const float* y, const float* g, int rows, int cols, bool relu, float* gpre,
                              float* gbias) {
  parallel_columns(rows, cols, [&](int c0, int c1) {
    bias_activation_backward_cols(y, g, rows, cols, c0, c1, relu, gpre, gbias);
  });
}

void bce_with_logits(const float* x, const float* t, int rows, int cols, float* out, float* delta) {
  parallel_range(static_cast<std::size_t>(rows), std::max<std::size_t>(1, kMinElements / std::max(cols, 1)),
                 [&](std::size_t r0, std::size_t r1) {
                   bce_rows(x, t, static_cast<int>(r0), static_cast<int>(r1), cols, out, delta);
                 });
}

void bce_with_logits_backward(const float* x, const float* t, const float* grow, int rows, int cols, float* gx,
                              float* gt, const float* delta) {
  parallel_range(static_cast<std::size_t>(rows), std::max<std::size_t>(1, kMinElements / std::max(cols, 1)),
                 [&](std::size_t r0, std::size_t r1) {
                   bce_backward_rows(x, t, grow, static_cast<int>(r0), static_cast<int>(r1), cols, gx, gt, delta);
                 });
}

// The latent-sized kernels below touch a few thousand floats per step: plain loops suffice.

void gaussian_kl(const float* mu, const float* logvar, int rows, int cols, float* out) {
  for (int i = 0; i < rows; i++) {
    const std::size_t base = static_cast<std::size_t>(i) * cols;
    float s = 0.0f;
    for (int j = 0; j < cols; j++) {
      const float m = mu[base + j];
      const float lv = logvar[base + j];
      s += m * m + std::exp(lv) - 1.0f - lv;
    }
    out[i] = 0.5f * s;
  }
}

void gaussian_kl_backward(const float* mu, const float* logvar, const float* grow, int rows, int cols, float* gmu,
                          float* glogvar) {
  for (int i = 0; i < rows; i++) {
    const std::size_t base = static_cast<std::size_t>(i) * cols;
    const float g = grow[i];
    for (int j = 0; j < cols; j++) {
      if (gmu != nullptr) gmu[base + j] += g * mu[base + j];
      if (glogvar != nullptr) glogvar[base + j] += g * 0.5f * (std::exp(logvar[base + j]) - 1.0f);
    }
  }
}

void reparameterize(const float* mu, const float* logvar, const float* eps, float* z, std::size_t n) {
  for (std::size_t i = 0; i < n; i++) z[i] = mu[i] + std::exp(0.5f * logvar[i]) * eps[i];
}

void reparameterize_backward(const float* logvar, const float* eps, const float* gz, float* gmu, float* glogvar,
                             std::size_t n) {
  for (std::size_t i = 0; i < n; i++) {
    const float g = gz[i];
    if (gmu != nullptr) gmu[i] += g;
    if (glogvar != nullptr) glogvar[i] += g * eps[i] * 0.5f * std::exp(0.5f * logvar[i]);
  }
}

// The Gaussian likelihood works in double, term by term as src/kernels/js.ts does (there
// every number is a double until stored), so the two providers agree to the last float bit
// but for a rare rounding of exp; hence no fused multiply-adds here either, which JavaScript
// never makes. A pixel-sized pass: spread over rows like BCE.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
void gaussian_nll(const float* mean, const float* logvar, const float* x, int rows, int cols, float* out) {
  const double log2pi = std::log(2.0 * M_PI);
  parallel_range(static_cast<std::size_t>(rows), std::max<std::size_t>(1, kMinElements / std::max(cols, 1)),
                 [&](std::size_t r0, std::size_t r1) {
                   for (std::size_t i = r0; i < r1; i++) {
                     double s = 0.0;
                     for (std::size_t j = i * cols; j < (i + 1) * cols; j++) {
                       const double d = static_cast<double>(x[j]) - static_cast<double>(mean[j]);
                       const double lv = logvar[j];
                       s += log2pi + lv + d * d * std::exp(-lv);
                     }
                     out[i] = static_cast<float>(0.5 * s);
                   }
                 });
}

void gaussian_nll_backward(const float* mean, const float* logvar, const float* x, const float* grow, int rows, int cols,
                           float* gmean, float* glogvar, float* gx) {
  parallel_range(static_cast<std::size_t>(rows), std::max<std::size_t>(1, kMinElements / std::max(cols, 1)),
                 [&](std::size_t r0, std::size_t r1) {
                   for (std::size_t i = r0; i < r1; i++) {
                     const double g = grow[i];
                     for (std::size_t j = i * cols; j < (i + 1) * cols; j++) {
                       const double e = std::exp(-static_cast<double>(logvar[j]));
                       const double d = static_cast<double>(x[j]) - static_cast<double>(mean[j]);
                       if (gmean != nullptr) gmean[j] = static_cast<float>(gmean[j] - g * d * e);
                       if (glogvar != nullptr) glogvar[j] = static_cast<float>(glogvar[j] + g * 0.5 * (1.0 - d * d * e));
                       if (gx != nullptr) gx[j] = static_cast<float>(gx[j] + g * d * e);
                     }
                   }
                 });
}
#pragma GCC pop_options

void adam_update(FloatLists params, FloatLists grads, FloatLists ms, FloatLists vs, float lr, float beta1,
                 float beta2, float eps, double step) {
  const std::size_t count = params.count;
  const double bc1 = 1.0 - std::pow(static_cast<double>(beta1), step);
  const double bc2 = 1.0 - std::pow(static_cast<double>(beta2), step);
  const float stepSize = static_cast<float>(lr / bc1);
  const float invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  // All parameters as one long index space, cut into equal shares for the threads.
  std::vector<std::size_t> starts(count + 1, 0);
  for (std::size_t s = 0; s < count; s++) starts[s + 1] = starts[s] + params.sizes[s];
  const std::size_t total = starts[count];
  parallel_range(total, kMinElements, [&](std::size_t from, std::size_t to) {
    std::size_t s = std::upper_bound(starts.begin(), starts.end(), from) - starts.begin() - 1;
    for (; s < count && starts[s] < to; s++) {
      const std::size_t a = std::max(from, starts[s]) - starts[s];
      const std::size_t b = std::min(to, starts[s + 1]) - starts[s];
      if (a < b)
        adam_range(params.data[s], grads.data[s], ms.data[s], vs.data[s], a, b, beta1, beta2, stepSize, invSqrtBc2,
                   eps);
    }
  });
}

}  // namespace vae
