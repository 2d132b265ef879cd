// A tiny fork-join pool for the fused loops and the built-in GEMM.
//
// The work of one kernel call is cut into `parts` pieces; the calling thread and the
// workers take pieces from a shared counter until none are left, then the call returns.
// Workers spin briefly between calls (kernels come in quick succession during a training
// step), then sleep on a condition variable so an idle process costs nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vae {

class Pool {
 public:
  explicit Pool(int threads);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(part) for part in [0, parts), spread over the threads; returns when all are done.
  void run(int parts, const std::function<void(int)>& fn);

 private:
  void work();
  void drain();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> next_{0};
  std::atomic<int> done_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<int> active_{0};
  std::atomic<int> parts_{0};
  std::atomic<const std::function<void(int)>*> fn_{nullptr};
  bool stop_ = false;
};

// The process-wide pool, sized to the machine (VAE_NUM_THREADS overrides).
Pool& pool();

}  // namespace vae
