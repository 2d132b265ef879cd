#include "pool.h"

#include <chrono>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VAE_PAUSE() _mm_pause()
#else
#define VAE_PAUSE() ((void)0)
#endif

namespace vae {

namespace {
// How long a worker spins before it sleeps: longer than the gap between two kernels of a
// training step, far shorter than anything a person would notice.
constexpr auto kSpin = std::chrono::microseconds(200);
// `next_` holds this between jobs, so a worker that wakes late takes nothing.
constexpr int kClosed = 1 << 30;

// Waits for `done()` by spinning, but yields the core every so often: when the machine has
// more runnable threads than cores, the thread we wait for may be the one that needs it.
template <typename Done>
void wait_until(Done&& done) {
  for (int spins = 1; !done(); spins++) {
    VAE_PAUSE();
    if ((spins & 255) == 0) std::this_thread::yield();
  }
}
}  // namespace

Pool::Pool(int threads) {
  next_.store(kClosed);
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { work(); });
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void Pool::drain() {
  for (;;) {
    // The acquire on `next_` makes the job's fn_ and parts_ (stored before it) visible.
    int part = next_.fetch_add(1, std::memory_order_acq_rel);
    if (part >= parts_.load(std::memory_order_relaxed)) return;
    (*fn_.load(std::memory_order_relaxed))(part);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void Pool::run(int parts, const std::function<void(int)>& fn) {
  if (parts <= 0) return;
  if (workers_.empty() || parts == 1) {
    for (int p = 0; p < parts; p++) fn(p);
    return;
  }
  fn_.store(&fn, std::memory_order_relaxed);
  parts_.store(parts, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  next_.store(0, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleeping_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  drain();
  wait_until([&] { return done_.load(std::memory_order_acquire) >= parts; });
  // Close the job and wait until no worker is still inside it, so the next job's fields can
  // be written safely.
  next_.store(kClosed, std::memory_order_release);
  wait_until([&] { return active_.load(std::memory_order_acquire) == 0; });
}

void Pool::work() {
  unsigned seen = 0;
  for (;;) {
    unsigned gen = generation_.load(std::memory_order_acquire);
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int spins = 0; gen == seen; spins++) {
      VAE_PAUSE();
      gen = generation_.load(std::memory_order_acquire);
      if ((spins & 63) == 63) {
        if (std::chrono::steady_clock::now() > until) break;
        std::this_thread::yield();
      }
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_.fetch_add(1, std::memory_order_acq_rel);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      sleeping_.fetch_sub(1, std::memory_order_acq_rel);
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    active_.fetch_add(1, std::memory_order_acq_rel);
    drain();
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

Pool& pool() {
  static Pool instance([] {
    const char* env = std::getenv("VAE_NUM_THREADS");
    int n = env != nullptr ? std::atoi(env) : 0;
    if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
    if (n > 64) n = 64;
    return n;
  }());
  return instance;
}

}  // namespace vae
