#include "conv.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"

namespace vae {

namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// The output columns [from, to) whose input column ox s - p + j lies inside the image.
void valid_columns(int j, const ConvGeometry& g, int& from, int& to) {
  const int lo = g.padding - j;
  const int hi = g.w - 1 + g.padding - j;
  from = lo <= 0 ? 0 : (lo + g.stride - 1) / g.stride;
  to = hi < 0 ? 0 : hi / g.stride + 1;
  from = std::min(from, g.wo);
  to = std::min(std::max(to, from), g.wo);
}

// Work items are (channel, image) pairs, channel-major: one item writes kh kw runs of ho wo
// floats of col (im2col), or owns one image plane of x (col2im), so no two threads ever add
// into the same pixel and the order of additions does not depend on the thread count.
template <typename F>
void for_planes(const ConvGeometry& g, F&& body) {
  const std::size_t items = sz(g.c) * sz(g.n);
  const std::size_t perItem = std::max<std::size_t>(1, sz(g.kh) * sz(g.kw) * sz(g.ho) * sz(g.wo));
  parallel_range(items, std::max<std::size_t>(1, kMinElements / perItem), [&](std::size_t from, std::size_t to) {
    for (std::size_t item = from; item < to; item++) body(static_cast<int>(item / sz(g.n)), static_cast<int>(item % sz(g.n)));
  });
}

}  // namespace

void im2col(const float* x, const ConvGeometry& g, float* col) {
  const std::size_t P = sz(g.ho) * sz(g.wo);
  const std::size_t NP = sz(g.n) * P;
  const int s = g.stride;
  for_planes(g, [&](int ch, int b) {
    const float* plane = x + (sz(b) * g.c + ch) * sz(g.h) * g.w;
    for (int i = 0; i < g.kh; i++) {
      for (int j = 0; j < g.kw; j++) {
        int ox0, ox1;
        valid_columns(j, g, ox0, ox1);
        float* dst = col + ((sz(ch) * g.kh + i) * g.kw + j) * NP + sz(b) * P;
        for (int oy = 0; oy < g.ho; oy++, dst += g.wo) {
          const int iy = oy * s - g.padding + i;
          if (iy < 0 || iy >= g.h) {
            std::fill(dst, dst + g.wo, 0.0f);
            continue;
          }
          std::fill(dst, dst + ox0, 0.0f);
          if (ox0 < ox1) {
            const float* src = plane + sz(iy) * g.w + (ox0 * s - g.padding + j);
            if (s == 1) {
              std::memcpy(dst + ox0, src, sz(ox1 - ox0) * sizeof(float));
            } else {
              for (int q = 0; q < ox1 - ox0; q++) dst[ox0 + q] = src[q * s];
            }
          }
          std::fill(dst + ox1, dst + g.wo, 0.0f);
        }
      }
    }
  });
}

void col2im(const float* col, const ConvGeometry& g, float* x) {
  const std::size_t P = sz(g.ho) * sz(g.wo);
  const std::size_t NP = sz(g.n) * P;
  const int s = g.stride;
  for_planes(g, [&](int ch, int b) {
    float* plane = x + (sz(b) * g.c + ch) * sz(g.h) * g.w;
    for (int i = 0; i < g.kh; i++) {
      for (int j = 0; j < g.kw; j++) {
        int ox0, ox1;
        valid_columns(j, g, ox0, ox1);
        const float* src = col + ((sz(ch) * g.kh + i) * g.kw + j) * NP + sz(b) * P;
        for (int oy = 0; oy < g.ho; oy++, src += g.wo) {
          const int iy = oy * s - g.padding + i;
          if (iy < 0 || iy >= g.h) continue;
          if (ox0 >= ox1) continue;
          float* dst = plane + sz(iy) * g.w + (ox0 * s - g.padding + j);
          for (int q = 0; q < ox1 - ox0; q++) dst[q * s] += src[ox0 + q];
        }
      }
    }
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
  // By channels, so each thread owns its out[ch]; in double, as the js kernels sum.
  const std::size_t perChannel = std::max<std::size_t>(1, sz(n) * sz(s));
  parallel_range(sz(c), std::max<std::size_t>(1, kMinElements / perChannel), [&](std::size_t from, std::size_t to) {
    for (std::size_t ch = from; ch < to; ch++) {
      double acc[4] = {0, 0, 0, 0};
      for (int b = 0; b < n; b++) {
        const float* row = g + (sz(b) * c + ch) * s;
        int i = 0;
        for (; i + 4 <= s; i += 4)
          for (int q = 0; q < 4; q++) acc[q] += row[i + q];
        for (; i < s; i++) acc[0] += row[i];
      }
      out[ch] += static_cast<float>((acc[0] + acc[1]) + (acc[2] + acc[3]));
    }
  });
}

}  // namespace vae
