// Compiled for the baseline instruction set (SSE2 on x86-64): 4-float vectors, 4 x 8 tiles.
#define VAE_GEMM_NAME gemm_base
#define VAE_LANES 4
#define VAE_MR 4
#include "gemm_impl.h"
