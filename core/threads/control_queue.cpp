#include "core/threads/control_queue.hpp"

#include "core/threads/process_signals.hpp"

namespace tp {

ControlQueue::ControlQueue(bool process_signals) : process_signals_(process_signals), queue_(64), consumer_(queue_) {}

void ControlQueue::raise_from_signal(ControlCommand c) noexcept {
  const uint32_t bit = c.state == TradingState::Reducing ? kReducing : kHaltFlatten;
  signal_bits_.fetch_or(bit, std::memory_order_release);
}

bool ControlQueue::pending() const noexcept {
  return signal_bits_.load(std::memory_order_relaxed) != 0 || queued_.load(std::memory_order_relaxed) != 0 ||
         (process_signals_ && process_signals::kill_switch_pending());
}

bool ControlQueue::try_pop(ControlCommand& out) noexcept {
  static_assert(kReducing == kSignalReducing && kHaltFlatten == kSignalHaltFlatten);
  if (process_signals_) {
    if (const uint32_t bits = process_signals::take_kill_switch(); bits != 0)
      signal_bits_.fetch_or(bits, std::memory_order_relaxed);
  }
  if (signal_bits_.load(std::memory_order_relaxed) != 0) {
    const uint32_t bits = signal_bits_.exchange(0, std::memory_order_acquire);
    // The stronger command wins when both arrived since the last drain.
    if (bits & kHaltFlatten) {
      out = {TradingState::Halted, true, CommandSource::Sigusr2};
      return true;
    }
    if (bits & kReducing) {
      out = {TradingState::Reducing, false, CommandSource::Sigusr1};
      return true;
    }
  }
  if (queued_.load(std::memory_order_acquire) == 0) return false;
  // The token's scan can miss a producer created after its last rotation (a new thread's first
  // command: an HTTP worker's /admin request); a command is waiting, so scan every producer then.
  if (!queue_.try_dequeue(consumer_, out) && !queue_.try_dequeue(out)) return false;
  queued_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

}  // namespace tp
