// ControlQueue: the control plane into the strategy thread (DESIGN.md). Operator commands (the
// kill switch) arrive from any thread through a multi-producer moodycamel::ConcurrentQueue, and
// from signal handlers through atomic bits (a handler may not allocate or lock, so it only sets
// bits; core/threads/process_signals.hpp). The strategy thread drains both between market events: no lock,
// no allocation and no system call on its side.
#pragma once

#include <atomic>
#include <cstdint>

#include <concurrentqueue/concurrentqueue.h>

#include "core/types/control_command.hpp"

namespace tp {

class ControlQueue {
 public:
  // `process_signals`: also take SIGUSR1/SIGUSR2 from core/process_signals (the engine's own
  // queue); the handlers are installed by main, so a signal during start-up waits here.
  explicit ControlQueue(bool process_signals = false);

  // Any thread. May allocate (the queue grows per producer); never blocks the strategy thread.
  bool push(const ControlCommand& c) {
    if (!queue_.enqueue(c)) return false;
    queued_.fetch_add(1, std::memory_order_release);
    return true;
  }

  // Strategy thread only: the next command, signals first. No allocation.
  bool try_pop(ControlCommand& out) noexcept;

  // Async-signal-safe: a command as a signal delivers it (REDUCING: SIGUSR1; HALTED and flatten:
  // SIGUSR2). Signals win over queued commands, the stronger one first. Public for tests.
  void raise_from_signal(ControlCommand c) noexcept;
  // A command is waiting (signals included). Any thread.
  bool pending() const noexcept;

 private:
  static constexpr uint32_t kReducing = 1u;
  static constexpr uint32_t kHaltFlatten = 2u;

  const bool process_signals_;
  moodycamel::ConcurrentQueue<ControlCommand> queue_;
  moodycamel::ConsumerToken consumer_;
  // Commands enqueued and not yet taken: lets the strategy's per-event poll be two relaxed loads
  // of lines nobody writes in steady state, instead of a queue dequeue attempt.
  alignas(64) std::atomic<uint64_t> queued_{0};
  alignas(64) std::atomic<uint32_t> signal_bits_{0};
  static_assert(std::atomic<uint32_t>::is_always_lock_free, "signal handlers need a lock-free atomic");
};

}  // namespace tp
