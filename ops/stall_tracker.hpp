// StallTracker: turns the stages' heartbeats (core/telemetry/stage_heartbeat.hpp) into "stalled
// since". The monitor thread samples it every few milliseconds; a stage whose beat count has not
// moved for `stall_after_ms`, and that is not waiting on purpose, has stalled. The result is kept
// in atomics so the HTTP threads read it without a lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/telemetry/stage_heartbeat.hpp"

namespace tp::ops {

class StallTracker {
 public:
  explicit StallTracker(int64_t stall_after_ms) noexcept : stall_after_ms_(stall_after_ms) {}

  // The monitor thread only. `now_ms`: a monotonic clock.
  void sample(const StageHeartbeats& hb, int64_t now_ms) noexcept;

  // Any thread. How long the stage has been stalled (ms), or -1 when it is not.
  int64_t stalled_for_ms(Stage s, int64_t now_ms) const noexcept;
  bool any_stalled() const noexcept;
  int64_t stall_after_ms() const noexcept { return stall_after_ms_; }

 private:
  struct Track {
    uint64_t beats = 0;
    int64_t moved_ms = -1;  // when the beat count last changed (-1: not sampled yet)
  };
  const int64_t stall_after_ms_;
  std::array<Track, kStageCount> track_{};                   // monitor thread only
  std::array<std::atomic<int64_t>, kStageCount> since_ms_{};  // 0: running; else 1 + when it last moved
};

}  // namespace tp::ops
