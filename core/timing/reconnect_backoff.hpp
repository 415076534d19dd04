// ReconnectBackoff: how long to wait before the next attempt to reach a venue that went away
// (the market-data WebSocket, the FIX session). Exponential from `min_ms` to `max_ms`, each wait
// drawn uniformly from the upper half of the current step ("equal jitter"): many engines that lost
// the venue at the same moment do not come back at the same moment, and no wait is shorter than
// half the step. reset() after an attempt that fully succeeded (subscribed, logged on).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace tp {

class ReconnectBackoff {
 public:
  ReconnectBackoff(int64_t min_ms, int64_t max_ms)
      : min_ms_(std::max<int64_t>(min_ms, 1)), max_ms_(std::max(max_ms, min_ms_)), step_ms_(min_ms_),
        rng_(std::random_device{}()) {}

  // The wait before the next attempt (ms); each call doubles the step up to the maximum.
  int64_t next_wait_ms() noexcept {
    std::uniform_int_distribution<int64_t> jitter(step_ms_ / 2, step_ms_);
    const int64_t wait = jitter(rng_);
    step_ms_ = std::min(step_ms_ * 2, max_ms_);
    return wait;
  }
  void reset() noexcept { step_ms_ = min_ms_; }

 private:
  int64_t min_ms_;
  int64_t max_ms_;
  int64_t step_ms_;
  std::minstd_rand rng_;
};

}  // namespace tp
