// The Node binding: each export takes Float32Arrays and numbers exactly as the Kernels
// interface in src/kernels/kernels.ts does, checks that the arrays are big enough (a wrong
// size must never turn into a write outside an array), and runs the C++ kernel in place.
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstddef>
#include <string>
#include <vector>

#include "conv.h"
#include "fused.h"
#include "gemm.h"
#include "pool.h"

namespace {

using Napi::CallbackInfo;
using Napi::Env;
using Napi::Value;

float* floats(const CallbackInfo& info, std::size_t i, std::size_t need, const char* what) {
  Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Float32Array");
  }
  auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() < need) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + " is too short: needs " + std::to_string(need) +
                                                " values, has " + std::to_string(arr.ElementLength()));
  }
  return arr.Data();
}

// A Float32Array, or null for "no gradient wanted".
float* optional_floats(const CallbackInfo& info, std::size_t i, std::size_t need, const char* what) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return floats(info, i, need, what);
}

std::size_t length(const CallbackInfo& info, std::size_t i) {
  return info[i].As<Napi::Float32Array>().ElementLength();
}

int dim(const CallbackInfo& info, std::size_t i, const char* what) {
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int>(d))) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must be a non-negative integer");
  }
  return static_cast<int>(d);
}

float num(const CallbackInfo& info, std::size_t i) { return info[i].As<Napi::Number>().FloatValue(); }
bool flag(const CallbackInfo& info, std::size_t i) { return info[i].ToBoolean().Value(); }

std::size_t mul(int a, int b) { return static_cast<std::size_t>(a) * static_cast<std::size_t>(b); }

Value Gemm(const CallbackInfo& info) {
  const bool ta = flag(info, 0), tb = flag(info, 1);
  const int m = dim(info, 2, "m"), n = dim(info, 3, "n"), k = dim(info, 4, "k");
  const float alpha = num(info, 5);
  const float* a = floats(info, 6, mul(m, k), "a");
  const float* b = floats(info, 7, mul(k, n), "b");
  const float beta = num(info, 8);
  float* c = floats(info, 9, mul(m, n), "c");
  vae::gemm(ta, tb, m, n, k, alpha, a, b, beta, c);
  return info.Env().Undefined();
}

Value AddBias(const CallbackInfo& info) {
  const int rows = dim(info, 2, "rows"), cols = dim(info, 3, "cols");
  float* y = floats(info, 0, mul(rows, cols), "y");
  const float* bias = floats(info, 1, cols, "bias");
  vae::add_bias(y, bias, rows, cols, flag(info, 4));
  return info.Env().Undefined();
}

Value SumRowsInto(const CallbackInfo& info) {
  const int rows = dim(info, 1, "rows"), cols = dim(info, 2, "cols");
  vae::sum_rows_into(floats(info, 0, mul(rows, cols), "g"), rows, cols, floats(info, 3, cols, "out"));
  return info.Env().Undefined();
}

Value Relu(const CallbackInfo& info) {
  const float* x = floats(info, 0, 0, "x");
  const std::size_t n = length(info, 0);
  vae::relu(x, floats(info, 1, n, "out"), n);
  return info.Env().Undefined();
}

Value ReluBackward(const CallbackInfo& info) {
  const float* y = floats(info, 0, 0, "y");
  const std::size_t n = length(info, 0);
  vae::relu_backward(y, floats(info, 1, n, "gy"), floats(info, 2, n, "gx"), n);
  return info.Env().Undefined();
}

Value BiasActivationBackward(const CallbackInfo& info) {
  const int rows = dim(info, 2, "rows"), cols = dim(info, 3, "cols");
  const std::size_t n = mul(rows, cols);
  vae::bias_activation_backward(floats(info, 0, n, "y"), floats(info, 1, n, "g"), rows, cols, flag(info, 4),
                                floats(info, 5, n, "gPre"), optional_floats(info, 6, cols, "gBias"));
  return info.Env().Undefined();
}

Value BceWithLogits(const CallbackInfo& info) {
  const int rows = dim(info, 2, "rows"), cols = dim(info, 3, "cols");
  const std::size_t n = mul(rows, cols);
  vae::bce_with_logits(floats(info, 0, n, "logits"), floats(info, 1, n, "targets"), rows, cols,
                       floats(info, 4, rows, "out"), optional_floats(info, 5, n, "delta"));
  return info.Env().Undefined();
}

Value BceWithLogitsBackward(const CallbackInfo& info) {
  const int rows = dim(info, 3, "rows"), cols = dim(info, 4, "cols");
  const std::size_t n = mul(rows, cols);
  vae::bce_with_logits_backward(floats(info, 0, n, "logits"), floats(info, 1, n, "targets"),
                                floats(info, 2, rows, "gRow"), rows, cols, optional_floats(info, 5, n, "gLogits"),
                                optional_floats(info, 6, n, "gTargets"), optional_floats(info, 7, n, "delta"));
  return info.Env().Undefined();
}

Value GaussianKl(const CallbackInfo& info) {
  const int rows = dim(info, 2, "rows"), cols = dim(info, 3, "cols");
  const std::size_t n = mul(rows, cols);
  vae::gaussian_kl(floats(info, 0, n, "mu"), floats(info, 1, n, "logvar"), rows, cols, floats(info, 4, rows, "out"));
  return info.Env().Undefined();
}

Value GaussianKlBackward(const CallbackInfo& info) {
  const int rows = dim(info, 3, "rows"), cols = dim(info, 4, "cols");
  const std::size_t n = mul(rows, cols);
  vae::gaussian_kl_backward(floats(info, 0, n, "mu"), floats(info, 1, n, "logvar"), floats(info, 2, rows, "gRow"),
                            rows, cols, optional_floats(info, 5, n, "gMu"), optional_floats(info, 6, n, "gLogvar"));
  return info.Env().Undefined();
}

Value Reparameterize(const CallbackInfo& info) {
  const float* mu = floats(info, 0, 0, "mu");
  const std::size_t n = length(info, 0);
  vae::reparameterize(mu, floats(info, 1, n, "logvar"), floats(info, 2, n, "eps"), floats(info, 3, n, "z"), n);
  return info.Env().Undefined();
}

Value ReparameterizeBackward(const CallbackInfo& info) {
  const float* gz = floats(info, 2, 0, "gz");
  const std::size_t n = length(info, 2);
  vae::reparameterize_backward(floats(info, 0, n, "logvar"), floats(info, 1, n, "eps"), gz,
                               optional_floats(info, 3, n, "gMu"), optional_floats(info, 4, n, "gLogvar"), n);
  return info.Env().Undefined();
}

Value AdamUpdate(const CallbackInfo& info) {
  Env env = info.Env();
  for (std::size_t i = 0; i < 4; i++) {
    if (!info[i].IsArray()) throw Napi::TypeError::New(env, "adamUpdate takes four arrays of Float32Arrays");
  }
  auto params = info[0].As<Napi::Array>(), grads = info[1].As<Napi::Array>();
  auto ms = info[2].As<Napi::Array>(), vs = info[3].As<Napi::Array>();
  const uint32_t count = params.Length();
  if (grads.Length() != count || ms.Length() != count || vs.Length() != count) {
    throw Napi::RangeError::New(env, "adamUpdate: the four arrays differ in length");
  }
  auto get = [&](Napi::Array list, uint32_t i, std::size_t need, const char* what) {
    Value v = list.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(env, std::string(what) + " must hold Float32Arrays");
    }
    auto arr = v.As<Napi::Float32Array>();
    if (arr.ElementLength() < need) throw Napi::RangeError::New(env, std::string(what) + " entry is too short");
    return std::make_pair(arr.Data(), arr.ElementLength());
  };
  std::vector<vae::AdamSlice> slices(count);
  for (uint32_t i = 0; i < count; i++) {
    auto [p, size] = get(params, i, 0, "params");
    slices[i] = {p, get(grads, i, size, "grads").first, get(ms, i, size, "m").first, get(vs, i, size, "v").first, size};
  }
  vae::adam_update(slices.data(), slices.size(), num(info, 4), num(info, 5), num(info, 6), num(info, 7),
                   info[8].As<Napi::Number>().DoubleValue());
  return env.Undefined();
}

// im2col(x, n, c, h, w, kh, kw, stride, padding, ho, wo, col) and col2im(col, ..., x): the
// geometry as ten numbers (src/kernels/native.ts unpacks the object).
vae::ConvGeometry geometry(const CallbackInfo& info, std::size_t at) {
  static const char* names[] = {"n", "c", "h", "w", "kh", "kw", "stride", "padding", "ho", "wo"};
  int v[10];
  for (std::size_t i = 0; i < 10; i++) v[i] = dim(info, at + i, names[i]);
  if (v[6] < 1) throw Napi::RangeError::New(info.Env(), "stride must be at least 1");
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
}

std::size_t image_size(const vae::ConvGeometry& g) { return mul(g.n, g.c) * mul(g.h, g.w); }
std::size_t patches_size(const vae::ConvGeometry& g) { return mul(g.c, g.kh) * mul(g.kw, g.n) * mul(g.ho, g.wo); }

Value Im2col(const CallbackInfo& info) {
  const vae::ConvGeometry g = geometry(info, 1);
  vae::im2col(floats(info, 0, image_size(g), "x"), g, floats(info, 11, patches_size(g), "col"));
  return info.Env().Undefined();
}

Value Col2im(const CallbackInfo& info) {
  const vae::ConvGeometry g = geometry(info, 1);
  vae::col2im(floats(info, 0, patches_size(g), "col"), g, floats(info, 11, image_size(g), "x"));
  return info.Env().Undefined();
}

Value ToChannelMajor(const CallbackInfo& info) {
  const int n = dim(info, 1, "n"), c = dim(info, 2, "c"), s = dim(info, 3, "s");
  const std::size_t size = mul(n, c) * static_cast<std::size_t>(s);
  vae::to_channel_major(floats(info, 0, size, "x"), n, c, s, floats(info, 4, size, "out"));
  return info.Env().Undefined();
}

Value FromChannelMajor(const CallbackInfo& info) {
  const int n = dim(info, 1, "n"), c = dim(info, 2, "c"), s = dim(info, 3, "s");
  const std::size_t size = mul(n, c) * static_cast<std::size_t>(s);
  vae::from_channel_major(floats(info, 0, size, "x"), n, c, s, optional_floats(info, 4, c, "bias"),
                          floats(info, 5, size, "out"), flag(info, 6));
  return info.Env().Undefined();
}

Value AddChannelBias(const CallbackInfo& info) {
  const int n = dim(info, 2, "n"), c = dim(info, 3, "c"), s = dim(info, 4, "s");
  vae::add_channel_bias(floats(info, 0, mul(n, c) * static_cast<std::size_t>(s), "y"), floats(info, 1, c, "bias"), n,
                        c, s);
  return info.Env().Undefined();
}

Value SumChannelsInto(const CallbackInfo& info) {
  const int n = dim(info, 1, "n"), c = dim(info, 2, "c"), s = dim(info, 3, "s");
  vae::sum_channels_into(floats(info, 0, mul(n, c) * static_cast<std::size_t>(s), "g"), n, c, s,
                         floats(info, 4, c, "out"));
  return info.Env().Undefined();
}

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
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("addBias", Napi::Function::New(env, AddBias));
  exports.Set("sumRowsInto", Napi::Function::New(env, SumRowsInto));
  exports.Set("relu", Napi::Function::New(env, Relu));
  exports.Set("reluBackward", Napi::Function::New(env, ReluBackward));
  exports.Set("biasActivationBackward", Napi::Function::New(env, BiasActivationBackward));
  exports.Set("bceWithLogits", Napi::Function::New(env, BceWithLogits));
  exports.Set("bceWithLogitsBackward", Napi::Function::New(env, BceWithLogitsBackward));
  exports.Set("gaussianKl", Napi::Function::New(env, GaussianKl));
  exports.Set("gaussianKlBackward", Napi::Function::New(env, GaussianKlBackward));
  exports.Set("reparameterize", Napi::Function::New(env, Reparameterize));
  exports.Set("reparameterizeBackward", Napi::Function::New(env, ReparameterizeBackward));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("im2col", Napi::Function::New(env, Im2col));
  exports.Set("col2im", Napi::Function::New(env, Col2im));
  exports.Set("toChannelMajor", Napi::Function::New(env, ToChannelMajor));
  exports.Set("fromChannelMajor", Napi::Function::New(env, FromChannelMajor));
  exports.Set("addChannelBias", Napi::Function::New(env, AddChannelBias));
  exports.Set("sumChannelsInto", Napi::Function::New(env, SumChannelsInto));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm));
  return exports;
}

}  // namespace

NODE_API_MODULE(vae_native, Init)
