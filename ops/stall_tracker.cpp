#include "ops/stall_tracker.hpp"

namespace tp::ops {

void StallTracker::sample(const StageHeartbeats& hb, int64_t now_ms) noexcept {
  for (std::size_t i = 0; i < kStageCount; ++i) {
    const StageHeartbeat& h = hb.stage[i];
    Track& t = track_[i];
    const uint64_t beats = h.beats.load(std::memory_order_relaxed);
    const bool waiting = h.waiting.load(std::memory_order_relaxed) != 0;
    const bool present = h.present.load(std::memory_order_relaxed) != 0;
    if (t.moved_ms < 0 || beats != t.beats || waiting || !present) {
      t.beats = beats;
      t.moved_ms = now_ms;
    }
    const bool stalled = now_ms - t.moved_ms >= stall_after_ms_;
    since_ms_[i].store(stalled ? t.moved_ms + 1 : 0, std::memory_order_relaxed);
  }
}

int64_t StallTracker::stalled_for_ms(Stage s, int64_t now_ms) const noexcept {
  const int64_t since = since_ms_[static_cast<std::size_t>(s)].load(std::memory_order_relaxed);
  return since == 0 ? -1 : now_ms - (since - 1);
}

bool StallTracker::any_stalled() const noexcept {
  for (const auto& s : since_ms_)
    if (s.load(std::memory_order_relaxed) != 0) return true;
  return false;
}

}  // namespace tp::ops
