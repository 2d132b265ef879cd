#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "parallel.h"

namespace vae {

namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Each hot loop is compiled for several instruction sets, as in fused.cc.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VAE_CLONES
#endif

// Where each window tap reads: table[(i kw + j) ho wo + oy wo + ox] is the offset, within
// one image plane, of the pixel that tap (i, j) sees at output position (oy, ox), or -1 on
// the padding. The same for every image and channel, so it is made once per call, and the
// loops over the patches become plain gathers and scatters of ho wo floats.
std::vector<int> window_table(const ConvGeometry& g) {
  const std::size_t P = sz(g.ho) * sz(g.wo);
  std::vector<int> table(sz(g.kh) * sz(g.kw) * P);
  std::size_t at = 0;
  for (int i = 0; i < g.kh; i++)
    for (int j = 0; j < g.kw; j++)
      for (int oy = 0; oy < g.ho; oy++) {
        const int iy = oy * g.stride - g.padding + i;
        for (int ox = 0; ox < g.wo; ox++) {
          const int ix = ox * g.stride - g.padding + j;
          table[at++] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? iy * g.w + ix : -1;
        }
      }
  return table;
}

// dst[q] = plane[tap[q]], 0 where tap[q] < 0. The load always reads a real pixel (index 0 for
// the padding) so that the loop vectorizes as a gather and a select.
VAE_CLONES void gather(const float* __restrict plane, const int* __restrict tap, std::size_t count,
                       float* __restrict dst) {
  for (std::size_t q = 0; q < count; q++) {
    const int k = tap[q];
    const float v = plane[k < 0 ? 0 : k];
    dst[q] = k >= 0 ? v : 0.0f;
  }
}

// plane[tap[q]] += src[q] where tap[q] >= 0. Within one tap no two positions share a pixel.
void scatter_add(const float* __restrict src, const int* __restrict tap, std::size_t count, float* __restrict plane) {
  for (std::size_t q = 0; q < count; q++) {
    const int k = tap[q];
    if (k >= 0) plane[k] += src[q];
  }
}

// Work items are (channel, image) pairs, channel-major: one item writes kh kw runs of ho wo
// floats of col (im2col), or owns one image plane of x (col2im), so no two threads ever add
// into the same pixel and the order of additions does not depend on the thread count.
template <typename F>
void for_planes(const ConvGeometry& g, F&& body) {
  const std::size_t items = sz(g.c) * sz(g.n);
  const std::size_t perItem = std::max<std::size_t>(1, sz(g.kh) * sz(g.kw) * sz(g.ho) * sz(g.wo));
  parallel_range(items, std::max<std::size_t>(1, kMinElements / perItem), [&](std::size_t from, std::size_t to) {
    for (std::size_t item = from; item < to; item++) body(item / sz(g.n), item % sz(g.n));
  });
}

VAE_CLONES float plane_sum(const float* __restrict row, int s) {
  constexpr int L = 16;
  float acc[L] = {};
  int i = 0;
  for (; i + L <= s; i += L)
    for (int q = 0; q < L; q++) acc[q] += row[i + q];
  for (; i < s; i++) acc[i % L] += row[i];
  // Pairwise, in a fixed order, so the result does not depend on the instruction set.
  for (int w = L / 2; w > 0; w /= 2)
    for (int q = 0; q < w; q++) acc[q] += acc[q + w];
  return acc[0];
}

}  // namespace

void im2col(const float* x, const ConvGeometry& g, float* col) {
  const std::size_t P = sz(g.ho) * sz(g.wo);
  const std::size_t NP = sz(g.n) * P;
  const std::size_t taps = sz(g.kh) * sz(g.kw);
  if (P == 0 || sz(g.h) * sz(g.w) == 0) {
    std::fill(col, col + sz(g.c) * taps * NP, 0.0f);
    return;
  }
  const std::vector<int> table = window_table(g);
  for_planes(g, [&](std::size_t ch, std::size_t b) {
    const float* plane = x + (b * g.c + ch) * sz(g.h) * g.w;
    for (std::size_t t = 0; t < taps; t++) gather(plane, table.data() + t * P, P, col + (ch * taps + t) * NP + b * P);
  });
}

void col2im(const float* col, const ConvGeometry& g, float* x) {
  const std::size_t P = sz(g.ho) * sz(g.wo);
  const std::size_t NP = sz(g.n) * P;
  const std::size_t taps = sz(g.kh) * sz(g.kw);
  if (P == 0 || sz(g.h) * sz(g.w) == 0) return;
  const std::vector<int> table = window_table(g);
  for_planes(g, [&](std::size_t ch, std::size_t b) {
    float* plane = x + (b * g.c + ch) * sz(g.h) * g.w;
    for (std::size_t t = 0; t < taps; t++) scatter_add(col + (ch * taps + t) * NP + b * P, table.data() + t * P, P, plane);
  });
}

void to_channel_major(const float* x, int n, int c, int s, float* out) {
  const std::size_t items = sz(n) * sz(c);
  parallel_range(items, std::max<std::size_t>(1, kMinElements / std::max<std::size_t>(1, sz(s))),
                 [&](std::size_t from, std::size_t to) {
                   for (std::size_t item = from; item < to; item++) {
                     const std::size_t b = item / sz(c), ch = item % sz(c);
                     std::memcpy(out + (ch * n + b) * s, x + item * s, sz(s) * sizeof(float));
                   }
                 });
}

void from_channel_major(const float* x, int n, int c, int s, const float* bias, float* out, bool accumulate) {
  const std::size_t items = sz(n) * sz(c);
  parallel_range(items, std::max<std::size_t>(1, kMinElements / std::max<std::size_t>(1, sz(s))),
                 [&](std::size_t from, std::size_t to) {
                   for (std::size_t item = from; item < to; item++) {
                     const std::size_t b = item / sz(c), ch = item % sz(c);
                     const float* src = x + (ch * n + b) * s;
                     float* dst = out + item * s;
                     const float v = bias == nullptr ? 0.0f : bias[ch];
                     if (accumulate) {
                       for (int i = 0; i < s; i++) dst[i] += src[i] + v;
                     } else if (bias == nullptr) {
                       std::memcpy(dst, src, sz(s) * sizeof(float));
                     } else {
                       for (int i = 0; i < s; i++) dst[i] = src[i] + v;
                     }
                   }
                 });
}

void add_channel_bias(float* y, const float* bias, int n, int c, int s) {
  const std::size_t items = sz(n) * sz(c);
  parallel_range(items, std::max<std::size_t>(1, kMinElements / std::max<std::size_t>(1, sz(s))),
                 [&](std::size_t from, std::size_t to) {
                   for (std::size_t item = from; item < to; item++) {
                     const float v = bias[item % sz(c)];
                     float* row = y + item * s;
                     for (int i = 0; i < s; i++) row[i] += v;
                   }
                 });
}

void sum_channels_into(const float* g, int n, int c, int s, float* out) {
  // By channels, so each thread owns its out[ch]; each plane summed in float, planes in double.
  const std::size_t perChannel = std::max<std::size_t>(1, sz(n) * sz(s));
  parallel_range(sz(c), std::max<std::size_t>(1, kMinElements / perChannel), [&](std::size_t from, std::size_t to) {
    for (std::size_t ch = from; ch < to; ch++) {
      double acc = 0;
      for (int b = 0; b < n; b++) acc += plane_sum(g + (sz(b) * c + ch) * s, s);
      out[ch] += static_cast<float>(acc);
    }
  });
}

}  // namespace vae
