// exp and log1p over 16-float vectors, in plain arithmetic so that the compiler keeps them
// in SIMD registers at whatever width the instruction set has (no calls into libm, which
// would stop vectorization). Coefficients are the single-precision minimax polynomials of
// the Cephes library (S. L. Moshier, "Methods and Programs for Mathematical Functions",
// 1989); both functions are within a few ulp of the exact result on the ranges used here.
#pragma once

#include <cstdint>

namespace vae {

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef int32_t i16v __attribute__((vector_size(64)));

#define VAE_INLINE static inline __attribute__((always_inline))

VAE_INLINE v16 splat(float x) { return v16{} + x; }
VAE_INLINE v16 vload(const float* p) { return *reinterpret_cast<const v16u*>(p); }
VAE_INLINE void vstore(float* p, v16 v) { *reinterpret_cast<v16u*>(p) = v; }
VAE_INLINE v16 vmax(v16 a, v16 b) { return a > b ? a : b; }
VAE_INLINE v16 vmin(v16 a, v16 b) { return a < b ? a : b; }
VAE_INLINE v16 vabs(v16 a) { return reinterpret_cast<v16>(reinterpret_cast<i16v>(a) & 0x7fffffff); }

// exp(x); inputs are clamped to [-87.34, 88.38], where the result is a normal float.
VAE_INLINE v16 vexp(v16 x) {
  x = vmin(vmax(x, splat(-87.3365447505531f)), splat(88.3762626647949f));
  // n = round(x / ln 2) by the 1.5 * 2^23 trick, then r = x - n ln 2 in two parts.
  const v16 shifter = splat(12582912.0f);
  const v16 n = (x * 1.44269504088896341f + shifter) - shifter;
  v16 r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  v16 p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const v16 y = p * r * r + r + 1.0f;
  const i16v bits = (__builtin_convertvector(n, i16v) + 127) << 23;
  return y * reinterpret_cast<v16>(bits);
}

// log(u) for u in [1, 2].
VAE_INLINE v16 vlog_1_2(v16 u) {
  const auto big = u > 1.41421356237f;
  const v16 e = big ? splat(1.0f) : splat(0.0f);
  const v16 f = (big ? u * 0.5f : u) - 1.0f;
  const v16 z = f * f;
  v16 y = splat(7.0376836292e-2f);
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  y = y + e * -2.12194440e-4f;
  y = y - 0.5f * z;
  return f + y + e * 0.693359375f;
}

// log(1 + e) for e in [0, 1]; keeps full relative accuracy for tiny e (Goldberg's trick:
// log(u) * e / (u - 1), with u = 1 + e rounded).
VAE_INLINE v16 vlog1p_0_1(v16 e) {
  const v16 u = e + 1.0f;
  const v16 d = u - 1.0f;
  const v16 safe = d == 0.0f ? splat(1.0f) : d;
  return d == 0.0f ? e : vlog_1_2(u) * (e / safe);
}

}  // namespace vae
