// ControlQueue: the control plane into the strategy thread (DESIGN.md). Operator commands (the
// kill switch) arrive from any thread through a multi-producer moodycamel::ConcurrentQueue, and
// from signal handlers through one atomic word (a handler may not allocate or lock, so it only
// sets bits). The strategy thread drains both between market events: no lock, no allocation and
// no system call on its side.
#pragma once

#include <atomic>
#include <cstdint>

#include <concurrentqueue/concurrentqueue.h>
#include <string>

#include "core/orders.hpp"

namespace tp {

struct ControlCommand {
  TradingState state = TradingState::Halted;  // the state to enter
  bool flatten = false;                       // also close every open position
};

class ControlQueue {
 public:
  ControlQueue();

  // Any thread. May allocate (the queue grows per producer); never blocks the strategy thread.
  bool push(const ControlCommand& c) {
    if (!queue_.enqueue(c)) return false;
    queued_.fetch_add(1, std::memory_order_release);
    return true;
  }

  // Strategy thread only: the next command, signals first. No allocation.
  bool try_pop(ControlCommand& out) noexcept;

  // SIGUSR1 -> REDUCING; SIGUSR2 -> HALTED and flatten. The handlers write only to the queue that
  // installed them last (one engine per process). Returns an empty string or why it failed.
  std::string install_signal_handlers();
  void uninstall_signal_handlers() noexcept;

  // Async-signal-safe: what the handlers call. Public for tests.
  void raise_from_signal(ControlCommand c) noexcept;

 private:
  static constexpr uint32_t kReducing = 1u;
  static constexpr uint32_t kHaltFlatten = 2u;

  moodycamel::ConcurrentQueue<ControlCommand> queue_;
  moodycamel::ConsumerToken consumer_;
  // Commands enqueued and not yet taken: lets the strategy's per-event poll be two relaxed loads
  // of lines nobody writes in steady state, instead of a queue dequeue attempt.
  alignas(64) std::atomic<uint64_t> queued_{0};
  alignas(64) std::atomic<uint32_t> signal_bits_{0};
  static_assert(std::atomic<uint32_t>::is_always_lock_free, "signal handlers need a lock-free atomic");
};

}  // namespace tp
