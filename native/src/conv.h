// The layout kernels around the convolutions' matrix products: im2col and its adjoint
// col2im, moves between [n, c, s] and channel-major [c, n s], and the channel biases.
// Semantics match src/kernels/kernels.ts (ConvGeometry and the functions after it).
#pragma once

#include <cstddef>

namespace vae {

// Images [n, c, h, w] seen through kh x kw windows `stride` apart, on a border of `padding`
// zeros, at ho x wo positions.
struct ConvGeometry {
  int n, c, h, w, kh, kw, stride, padding, ho, wo;
};

// col [c kh kw, n ho wo] = the patches of x (overwritten).
void im2col(const float* x, const ConvGeometry& g, float* col);
// x += the adjoint of im2col applied to col.
void col2im(const float* col, const ConvGeometry& g, float* x);
// out [c, n s] = x [n, c, s].
void to_channel_major(const float* x, int n, int c, int s, float* out);
// out [n, c, s] (+)= x [c, n s] + bias[c] (bias may be null).
void from_channel_major(const float* x, int n, int c, int s, const float* bias, float* out, bool accumulate);
// y [n, c, s] += bias[c].
void add_channel_bias(float* y, const float* bias, int n, int c, int s);
// out[c] += sum of g [n, c, s] over n and s.
void sum_channels_into(const float* g, int n, int c, int s, float* out);

}  // namespace vae
