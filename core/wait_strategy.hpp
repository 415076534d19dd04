// How a stage waits when its input ring is empty or its output ring is full.
//
// BusySpin burns its core (production, isolated cores). SpinThenYield spins briefly and then
// gives the core back with sched_yield, so three busy stages can share two cores without
// starving each other or the operating system: the default.
#pragma once

#include <cstdint>
#include <string_view>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tp {

enum class WaitKind : uint8_t { BusySpin, SpinThenYield };

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Per-wait-site state: reset() after progress, idle() each time there was nothing to do.
class Waiter {
 public:
  explicit Waiter(WaitKind kind = WaitKind::SpinThenYield) noexcept : kind_(kind) {}
  void reset() noexcept { spins_ = 0; }
  void idle() noexcept {
    if (kind_ == WaitKind::BusySpin || spins_ < kSpinLimit) {
      ++spins_;
      cpu_relax();
      return;
    }
    std::this_thread::yield();
  }

 private:
  static constexpr uint32_t kSpinLimit = 256;
  WaitKind kind_;
  uint32_t spins_ = 0;
};

}  // namespace tp
