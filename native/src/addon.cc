// The Node binding, driven by one table: each row names a kernel of the Kernels interface
// (src/kernels/kernels.ts), writes its arguments as JavaScript passes them (the signature
// language is described in binding.h), and points at the C++ function. binding.cc reads and
// checks the arguments of every call from the row, so a new kernel is its C++ function, one
// row here, and its TypeScript version in src/kernels/js.ts: nothing else.
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <exception>
#include <string>

#include "binding.h"
#include "conv.h"
#include "fused.h"
#include "gemm.h"

namespace {

using Napi::CallbackInfo;
using Napi::Env;
using Napi::Value;
using vae::binding::kernel;

const vae::binding::Entry kKernels[] = {
    kernel<vae::gemm>("gemm", "ta:bool tb:bool m:int n:int k:int alpha:num a:f32[m*k] b:f32[k*n] beta:num c:f32[m*n]"),
    kernel<vae::add_bias>("addBias", "y:f32[rows*cols] bias:f32[cols] rows:int cols:int relu:bool"),
    kernel<vae::bias_activation_backward>(
        "biasActivationBackward",
        "y:f32[rows*cols] g:f32[rows*cols] rows:int cols:int relu:bool gPre:f32[rows*cols] gBias:f32?[cols]"),
    kernel<vae::sum_rows_into>("sumRowsInto", "g:f32[rows*cols] rows:int cols:int out:f32[cols]"),
    kernel<vae::relu>("relu", "x:f32[] out:f32[#x] n=#x"),
    kernel<vae::relu_backward>("reluBackward", "y:f32[] gy:f32[#y] gx:f32[#y] n=#y"),
    kernel<vae::bce_with_logits>(
        "bceWithLogits",
        "logits:f32[rows*cols] targets:f32[rows*cols] rows:int cols:int out:f32[rows] delta:f32?[rows*cols]"),
    kernel<vae::bce_with_logits_backward>("bceWithLogitsBackward",
                                          "logits:f32[rows*cols] targets:f32[rows*cols] gRow:f32[rows] rows:int "
                                          "cols:int gLogits:f32?[rows*cols] gTargets:f32?[rows*cols] "
                                          "delta:f32?[rows*cols]"),
    kernel<vae::gaussian_kl>("gaussianKl", "mu:f32[rows*cols] logvar:f32[rows*cols] rows:int cols:int out:f32[rows]"),
    kernel<vae::gaussian_kl_backward>("gaussianKlBackward",
                                      "mu:f32[rows*cols] logvar:f32[rows*cols] gRow:f32[rows] rows:int cols:int "
                                      "gMu:f32?[rows*cols] gLogvar:f32?[rows*cols]"),
    kernel<vae::gaussian_nll>(
        "gaussianNll", "mean:f32[rows*cols] logvar:f32[rows*cols] x:f32[rows*cols] rows:int cols:int out:f32[rows]"),
    kernel<vae::gaussian_nll_backward>("gaussianNllBackward",
                                       "mean:f32[rows*cols] logvar:f32[rows*cols] x:f32[rows*cols] gRow:f32[rows] "
                                       "rows:int cols:int gMean:f32?[rows*cols] gLogvar:f32?[rows*cols] "
                                       "gX:f32?[rows*cols]"),
    kernel<vae::reparameterize>("reparameterize", "mu:f32[] logvar:f32[#mu] eps:f32[#mu] z:f32[#mu] n=#mu"),
    kernel<vae::reparameterize_backward>("reparameterizeBackward",
                                         "logvar:f32[#gz] eps:f32[#gz] gz:f32[] gMu:f32?[#gz] gLogvar:f32?[#gz] n=#gz"),
    kernel<vae::adam_update>("adamUpdate",
                             "params:f32s[] grads:f32s[params] m:f32s[params] v:f32s[params] lr:num beta1:num "
                             "beta2:num eps:num step:num"),
    kernel<vae::im2col>("im2col", "x:f32[g.n*g.c*g.h*g.w] g:geom col:f32[g.c*g.kh*g.kw*g.n*g.ho*g.wo]"),
    kernel<vae::col2im>("col2im", "col:f32[g.c*g.kh*g.kw*g.n*g.ho*g.wo] g:geom x:f32[g.n*g.c*g.h*g.w]"),
    kernel<vae::to_channel_major>("toChannelMajor", "x:f32[n*c*s] n:int c:int s:int out:f32[n*c*s]"),
    kernel<vae::from_channel_major>("fromChannelMajor",
                                    "x:f32[n*c*s] n:int c:int s:int bias:f32?[c] out:f32[n*c*s] accumulate:bool"),
    kernel<vae::add_channel_bias>("addChannelBias", "y:f32[n*c*s] bias:f32[c] n:int c:int s:int"),
    kernel<vae::sum_channels_into>("sumChannelsInto", "g:f32[n*c*s] n:int c:int s:int out:f32[c]"),
};

Value Info(const CallbackInfo& info) {
  Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("gemm", Napi::String::New(env, vae::gemm_backend()));
  out.Set("threads", Napi::Number::New(env, vae::fused_threads()));
  return out;
}

// setGemm("openblas" | "builtin" | "avx512" | "avx2" | "base") -> whether this build and CPU have it.
Value SetGemm(const CallbackInfo& info) {
  const std::string which = info[0].ToString().Utf8Value();
  return Napi::Boolean::New(info.Env(), vae::set_gemm_backend(which.c_str()));
}

// Every op's output is a fresh Float32Array, and a conv VAE's step makes tens of megabytes of
// them (an importance-weighted evaluation, hundreds). By default glibc serves blocks that
// big with mmap and returns them (and the top of the heap) to the system when freed, so each
// step faults in its arrays page by page anew: measured, about 40% of a conv training step's
// CPU time, and more of a conv decoder pass over 4096 samples, went to the kernel. Serving
// every block from the heap (glibc still falls back to mmap if the heap cannot grow), and
// not trimming it under 512 MB, lets freed arrays be reused as they are.
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

Napi::Object Init(Env env, Napi::Object exports) {
  keep_freed_memory();
  auto kernels = Napi::Object::New(env);
  try {
    vae::binding::register_all(env, kernels, kKernels, sizeof(kKernels) / sizeof(kKernels[0]));
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& err) {
    throw Napi::Error::New(env, err.what());
  }
  exports.Set("kernels", kernels);
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm));
  return exports;
}

}  // namespace

NODE_API_MODULE(vae_native, Init)
