{
  "variables": {
    "openblas_defines": "<!(node detect-blas.cjs defines)",
    "openblas_libraries": "<!(node detect-blas.cjs libraries)"
  },
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=c++17"],
    "cflags_cc": ["-std=gnu++17", "-O3", "-fexceptions", "-ffp-contract=fast", "-fno-math-errno", "-Wno-psabi"],
    "cflags!": ["-O2"]
  },
  "targets": [
    {
      "target_name": "vae_native",
      "sources": ["src/addon.cc", "src/binding.cc", "src/pool.cc", "src/gemm.cc", "src/gemm_base.cc", "src/fused.cc", "src/conv.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "<@(openblas_defines)"],
      "libraries": ["<@(openblas_libraries)", "-lpthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["VAE_HAVE_X86_KERNELS"],
          "dependencies": ["gemm_avx512", "gemm_avx2"]
        }]
      ]
    },
    {
      "target_name": "gemm_avx512",
      "type": "static_library",
      "sources": ["src/gemm_avx512.cc"],
      "cflags_cc": ["-mavx512f", "-mfma", "-mavx2", "-fPIC"]
    },
    {
      "target_name": "gemm_avx2",
      "type": "static_library",
      "sources": ["src/gemm_avx2.cc"],
      "cflags_cc": ["-mavx2", "-mfma", "-fPIC"]
    }
  ]
}
