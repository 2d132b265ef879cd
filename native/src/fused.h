// The fused elementwise kernels: one pass over memory for each piece of a training step
// that is not a matrix product. Semantics match src/kernels/kernels.ts; functions named
// ..._backward accumulate (+=) into their gradient outputs.
#pragma once

#include <cstddef>

namespace vae {

void add_bias(float* y, const float* bias, int rows, int cols, bool relu);
void sum_rows_into(const float* g, int rows, int cols, float* out);
void relu(const float* x, float* out, std::size_t n);
void relu_backward(const float* y, const float* gy, float* gx, std::size_t n);
// gpre = relu ? (y > 0) * g : g (overwritten);  gbias[j] += sum_i gpre[i, j] when gbias.
void bias_activation_backward(const float* y, const float* g, int rows, int cols, bool relu, float* gpre,
                              float* gbias);
// out[i] = sum_j bce(x, t); when delta is given it also receives sigmoid(x) - t.
void bce_with_logits(const float* x, const float* t, int rows, int cols, float* out, float* delta);
// gx += grow[i] * (sigmoid(x) - t) (from delta when given);  gt += grow[i] * -x.
void bce_with_logits_backward(const float* x, const float* t, const float* grow, int rows, int cols, float* gx,
                              float* gt, const float* delta);
void gaussian_kl(const float* mu, const float* logvar, int rows, int cols, float* out);
void gaussian_kl_backward(const float* mu, const float* logvar, const float* grow, int rows, int cols, float* gmu,
                          float* glogvar);
void reparameterize(const float* mu, const float* logvar, const float* eps, float* z, std::size_t n);
void reparameterize_backward(const float* logvar, const float* eps, const float* gz, float* gmu, float* glogvar,
                             std::size_t n);

// out[i] = 0.5 sum_j (log 2pi + lv + (x - m)^2 exp(-lv)), summed in double as the js kernels do.
void gaussian_nll(const float* mean, const float* logvar, const float* x, int rows, int cols, float* out);
// gmean -= grow[i] d e;  glogvar += grow[i] 0.5 (1 - d^2 e);  gx += grow[i] d e  (d = x - m, e = exp(-lv)).
void gaussian_nll_backward(const float* mean, const float* logvar, const float* x, const float* grow, int rows, int cols,
                           float* gmean, float* glogvar, float* gx);

// A list of float arrays, for kernels that sweep many tensors at once (Adam).
struct FloatLists {
  float* const* data;
  const std::size_t* sizes;
  std::size_t count;
};

// One Adam step (PyTorch's form) over every parameter (params.data[i] with grads.data[i],
// m.data[i], v.data[i], params.sizes[i] values each), the work spread over the threads.
void adam_update(FloatLists params, FloatLists grads, FloatLists m, FloatLists v, float lr, float beta1, float beta2,
                 float eps, double step);

}  // namespace vae
