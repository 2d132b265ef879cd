// Matrix products, row-major, BLAS-style: C = alpha op(A) op(B) + beta C.
#pragma once

#include <cstddef>

namespace vae {

// One thread, one instruction set each; `lda`, `ldb`, `ldc` are row strides.
void gemm_avx512(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, std::ptrdiff_t lda,
                 const float* b, std::ptrdiff_t ldb, float beta, float* c, std::ptrdiff_t ldc);
void gemm_avx2(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, std::ptrdiff_t lda,
               const float* b, std::ptrdiff_t ldb, float beta, float* c, std::ptrdiff_t ldc);
void gemm_base(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, std::ptrdiff_t lda,
               const float* b, std::ptrdiff_t ldb, float beta, float* c, std::ptrdiff_t ldc);

// The product on the best path this build and CPU have (OpenBLAS, or the built-in kernels
// spread over the pool). Dense operands: lda = transA ? m : k, ldb = transB ? k : n, ldc = n.
void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b, float beta, float* c);

// Switches the product to "openblas" (when built with it), "builtin" (the best built-in
// kernels for this CPU) or one instruction set ("avx512", "avx2", "base"); false when this
// build or CPU lacks it.
bool set_gemm_backend(const char* which);

// "openblas", "avx512", "avx2" or "base": what gemm() runs on.
const char* gemm_backend();

// Threads the fused loops may use: 1 when OpenBLAS owns the cores, else the pool's size.
int fused_threads();

}  // namespace vae
