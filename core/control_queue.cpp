#include "core/control_queue.hpp"

#include <csignal>
#include <cstring>
#include <string>

namespace tp {
namespace {

std::atomic<ControlQueue*> g_signal_target{nullptr};

extern "C" void on_kill_switch_signal(int sig) {
  ControlQueue* q = g_signal_target.load(std::memory_order_acquire);
  if (q == nullptr) return;
  if (sig == SIGUSR1) q->raise_from_signal({TradingState::Reducing, false});
  if (sig == SIGUSR2) q->raise_from_signal({TradingState::Halted, true});
}

}  // namespace

ControlQueue::ControlQueue() : queue_(64), consumer_(queue_) {}

void ControlQueue::raise_from_signal(ControlCommand c) noexcept {
  const uint32_t bit = c.state == TradingState::Reducing ? kReducing : kHaltFlatten;
  signal_bits_.fetch_or(bit, std::memory_order_release);
}

bool ControlQueue::try_pop(ControlCommand& out) noexcept {
  if (signal_bits_.load(std::memory_order_relaxed) != 0) {
    const uint32_t bits = signal_bits_.exchange(0, std::memory_order_acquire);
    // The stronger command wins when both arrived since the last drain.
    if (bits & kHaltFlatten) {
      out = {TradingState::Halted, true};
      return true;
    }
    if (bits & kReducing) {
      out = {TradingState::Reducing, false};
      return true;
    }
  }
  if (queued_.load(std::memory_order_acquire) == 0) return false;
  if (!queue_.try_dequeue(consumer_, out)) return false;
  queued_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::string ControlQueue::install_signal_handlers() {
  g_signal_target.store(this, std::memory_order_release);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_kill_switch_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (const int sig : {SIGUSR1, SIGUSR2}) {
    if (sigaction(sig, &sa, nullptr) != 0) return std::string("sigaction: ") + std::strerror(errno);
  }
  return {};
}

void ControlQueue::uninstall_signal_handlers() noexcept {
  ControlQueue* self = this;
  g_signal_target.compare_exchange_strong(self, nullptr, std::memory_order_acq_rel);
  std::signal(SIGUSR1, SIG_DFL);
  std::signal(SIGUSR2, SIG_DFL);
}

}  // namespace tp
