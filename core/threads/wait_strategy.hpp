// How a stage waits when its input ring is empty or its output ring is full.
//
// BusySpin burns its core (production, isolated cores). SpinThenYield spins briefly and then
// gives the core back with sched_yield, so three busy stages can share two cores without
// starving each other or the operating system: the default. Blocking spins briefly, yields a
// few times, and then sleeps in the kernel on an EventCount until its producer notifies: for
// stages that are idle most of the time (a quiet market, a shared machine), at the price of a
// wake-up (a few microseconds) on the first message after a quiet spell.
//
// Consumer loop with any WaitKind (the predicate only matters for Blocking):
//
//   Waiter w(kind, &ec);                       // producer: ring.try_push(x); ec.notify();
//   for (;;) {
//     if (ring.try_pop(x)) { w.reset(); handle(x); continue; }
//     if (done.load(std::memory_order_acquire) && ring.empty()) break;
//     w.idle_until([&] { return !ring.empty() || done.load(std::memory_order_acquire); });
//   }
//
// idle_until does the EventCount protocol (prepare, re-check the predicate, then sleep) so a
// caller cannot get it wrong; the predicate must cover everything that should end the sleep
// (input, shutdown flags), and every producer of that state must call ec.notify() after
// changing it. Each sleep is bounded anyway (Waiter::kBlockTimeout, 1 ms, by default), so a
// flag whose writer does not notify is still noticed within a millisecond; that bound is a
// backstop, not part of the protocol, which loses no wake-ups (core/threads/event_count.hpp).
//
// Only the data direction is notified: a producer waiting for room in a full ring (push_wait)
// has no predicate and no EventCount, so with Blocking its plain idle() naps (see idle()).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <thread>

#include "core/threads/event_count.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tp {

enum class WaitKind : uint8_t { BusySpin, SpinThenYield, Blocking };

// The configuration spelling: "busy_spin", "spin_then_yield", "blocking".
constexpr const char* wait_kind_name(WaitKind kind) noexcept {
  switch (kind) {
    case WaitKind::BusySpin:
      return "busy_spin";
    case WaitKind::SpinThenYield:
      return "spin_then_yield";
    case WaitKind::Blocking:
      return "blocking";
  }
  return "unknown";
}

// Sets `out` and returns true when `text` is one of wait_kind_name's spellings.
constexpr bool parse_wait_kind(std::string_view text, WaitKind& out) noexcept {
  for (WaitKind k : {WaitKind::BusySpin, WaitKind::SpinThenYield, WaitKind::Blocking}) {
    if (text == wait_kind_name(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Per-wait-site state: reset() after progress, idle() or idle_until() each time there was
// nothing to do.
class Waiter {
 public:
  explicit Waiter(WaitKind kind = WaitKind::SpinThenYield) noexcept : kind_(kind) {}
  // For Blocking, `ec` is what the producer(s) notify; other kinds ignore it. `block_timeout`
  // bounds each sleep: how late a stage notices a condition nobody notifies about.
  Waiter(WaitKind kind, EventCount* ec, std::chrono::nanoseconds block_timeout = kBlockTimeout) noexcept
      : kind_(kind), ec_(ec), block_timeout_(block_timeout) {}

  void reset() noexcept { spins_ = 0; }

  // One idle step with no condition to re-check. BusySpin and SpinThenYield as always. Blocking
  // cannot sleep on the EventCount here (without a re-check after prepare_wait a wake-up could
  // be lost), so after its spin and yield phases it naps kNap: wake-up latency up to ~50 us plus
  // timer slack, about 20k wake-ups a second while idle. Use idle_until() to really block.
  void idle() noexcept {
    if (spin_step()) return;
    std::this_thread::sleep_for(kNap);
  }

  // One idle step that, for Blocking with an EventCount and once the spin and yield phases are
  // over, sleeps until a notify() (or the block timeout). `ready` is evaluated only then, after
  // prepare_wait: if it is already true the sleep is cancelled. It must not throw and must be
  // cheap (a ring emptiness check and a flag). Returns after at most one sleep; the caller
  // re-checks its input either way. Other kinds: same as idle().
  // Returns false only when it slept the whole block timeout without a notify (diagnostics:
  // with producers that notify, that means nothing happened for that long), else true.
  template <class Ready>
  bool idle_until(Ready&& ready) noexcept {
    if (spin_step()) return true;
    if (ec_ == nullptr) {
      std::this_thread::sleep_for(kNap);
      return true;
    }
    const EventCount::Key key = ec_->prepare_wait();
    if (ready()) {
      ec_->cancel_wait();
      return true;
    }
    return ec_->wait_for(key, block_timeout_);
  }

  WaitKind kind() const noexcept { return kind_; }

  static constexpr uint32_t kSpinLimit = 256;   // pauses before yielding (~5-20 us)
  static constexpr uint32_t kYieldLimit = 16;   // Blocking: yields before sleeping
  static constexpr std::chrono::microseconds kNap{50};
  static constexpr std::chrono::milliseconds kBlockTimeout{1};

 private:
  // The spin (and, for SpinThenYield and Blocking, yield) part of a step. False when a
  // Blocking waiter has used up both phases and should sleep.
  bool spin_step() noexcept {
    if (kind_ == WaitKind::BusySpin || spins_ < kSpinLimit) {
      ++spins_;
      cpu_relax();
      return true;
    }
    if (kind_ == WaitKind::SpinThenYield) {
      std::this_thread::yield();
      return true;
    }
    if (spins_ < kSpinLimit + kYieldLimit) {
      ++spins_;
      std::this_thread::yield();
      return true;
    }
    return false;
  }

  WaitKind kind_;
  uint32_t spins_ = 0;
  EventCount* ec_ = nullptr;
  std::chrono::nanoseconds block_timeout_ = kBlockTimeout;
};

}  // namespace tp
