// Splitting a loop over the fused threads, for the kernels that are not matrix products.
#pragma once

#include <algorithm>
#include <cstddef>

#include "gemm.h"
#include "pool.h"

namespace vae {

// Below this many floats a loop runs on the calling thread alone.
constexpr std::size_t kMinElements = 1 << 15;

// Splits [0, n) into one range per fused thread when the loop is big enough to pay for it.
template <typename F>
void parallel_range(std::size_t n, std::size_t minPerThread, F&& body) {
  const int threads = fused_threads();
  if (threads <= 1 || n < 2 * minPerThread) {
    body(std::size_t{0}, n);
    return;
  }
  const int parts = static_cast<int>(std::min<std::size_t>(threads, n / minPerThread));
  const std::size_t chunk = (n + parts - 1) / parts;
  pool().run(parts, [&](int part) {
    const std::size_t from = part * chunk;
    const std::size_t to = std::min(n, from + chunk);
    if (from < to) body(from, to);
  });
}

}  // namespace vae
