// Compiled with -mavx2 -mfma: 8-float vectors, 6 x 16 micro-tiles (12 accumulators).
#define VAE_GEMM_NAME gemm_avx2
#define VAE_LANES 8
#define VAE_MR 6
#include "gemm_impl.h"
