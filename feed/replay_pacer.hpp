// ReplayPacer: `--speed realtime|<N>x` (SPEC 8). Holds each message back until the wall clock has
// advanced, since the first message, by the capture-time distance divided by the speed factor.
// Or, for `tickpipe bench --rate`, releases packets at a fixed rate whatever their timestamps, so
// each one meets an idle pipeline and the latency measured is the pipeline's, not a queue's (the
// caller calls wait_for before reading each packet: per_packet()).
//
// Replay only: it sleeps (a system call) when a message is more than a little early, then spins for
// the last stretch so the release time is accurate. With speed 0 ("max") it does nothing.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "core/telemetry/stage_heartbeat.hpp"

namespace tp::feed {

class ReplayPacer {
 public:
  // factor: capture seconds per wall second (1 = realtime); 0 = as fast as possible.
  explicit ReplayPacer(double factor = 0) noexcept : factor_(factor) {}

  // `per_second` > 0: the n-th call of wait_for returns n / rate seconds after the first.
  static ReplayPacer fixed_rate(double per_second) noexcept {
    ReplayPacer p;
    p.interval_ns_ = per_second > 0 ? 1e9 / per_second : 0;
    return p;
  }

  // A wait ends early once `*cancel` is non-zero (a stop request): the engine must stop at the next
  // event even when the capture's next message is minutes away. Null: never.
  void set_cancel(const std::atomic<int>* cancel) noexcept { cancel_ = cancel; }
  // A long wait is not a stall: the feed stage's heartbeat beats through it. Null: none.
  void set_heartbeat(StageHeartbeat* hb) noexcept { heartbeat_ = hb; }

  bool active() const noexcept { return factor_ > 0 || interval_ns_ > 0; }
  bool per_packet() const noexcept { return interval_ns_ > 0; }

  void wait_for(int64_t capture_ts_ns) noexcept {
    if (interval_ns_ > 0) {
      wait_until_count();
      return;
    }
    if (factor_ <= 0) return;
    const int64_t now = now_ns();
    if (first_capture_ns_ < 0) {
      first_capture_ns_ = capture_ts_ns;
      start_wall_ns_ = now;
      return;
    }
    // A capture that steps back in time releases at once rather than waiting.
    const double offset = static_cast<double>(capture_ts_ns - first_capture_ns_) / factor_;
    if (offset <= 0) return;
    wait_until(now, start_wall_ns_ + static_cast<int64_t>(offset));
  }

 private:
  static constexpr int64_t kSleepThresholdNs = 200'000;
  static constexpr int64_t kSpinNs = 100'000;
  static constexpr int64_t kMaxNapNs = 20'000'000;  // how late a stop request may be seen

  void wait_until_count() noexcept {
    const int64_t now = now_ns();
    if (released_++ == 0) {
      start_wall_ns_ = now;
      return;
    }
    wait_until(now, start_wall_ns_ + static_cast<int64_t>(static_cast<double>(released_ - 1) * interval_ns_));
  }

  void wait_until(int64_t now, int64_t due) const noexcept {
    for (int64_t t = now; t < due; t = now_ns()) {
      if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed) != 0) return;
      if (heartbeat_ != nullptr) heartbeat_->beat();
      const int64_t left = due - t;
      if (left > kSleepThresholdNs) {
        const int64_t nap = left - kSpinNs < kMaxNapNs ? left - kSpinNs : kMaxNapNs;
        timespec ts{static_cast<time_t>(nap / 1'000'000'000), static_cast<long>(nap % 1'000'000'000)};
        nanosleep(&ts, nullptr);
      } else {
        std::this_thread::yield();
      }
    }
  }

  static int64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }

  double factor_ = 0;
  double interval_ns_ = 0;  // fixed rate: ns between messages; 0: off
  uint64_t released_ = 0;
  int64_t first_capture_ns_ = -1;
  int64_t start_wall_ns_ = 0;
  const std::atomic<int>* cancel_ = nullptr;
  StageHeartbeat* heartbeat_ = nullptr;
};

}  // namespace tp::feed
