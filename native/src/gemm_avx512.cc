// Compiled with -mavx512f -mfma: 16-float vectors, 8 x 32 micro-tiles (16 accumulators).
#define VAE_GEMM_NAME gemm_avx512
#define VAE_LANES 16
#define VAE_MR 8
#include "gemm_impl.h"
