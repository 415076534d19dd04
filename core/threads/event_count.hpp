// EventCount: lets a consumer sleep in the kernel while its input is empty and lets the producer
// wake it, without a lock and without a syscall on the producer's side while nobody sleeps
// (Dmitry Vyukov's eventcount, as in folly::EventCount).
//
// Protocol (Waiter::idle_until in core/threads/wait_strategy.hpp wraps the consumer side; prefer it):
//
//   consumer                                        producer
//   auto key = ec.prepare_wait();                   ring.try_push(x);     // publish
//   if (!ring.empty() || done) ec.cancel_wait();    ec.notify();
//   else ec.wait(key);  // or wait_for(key, t)
//
// The consumer re-checks its condition AFTER prepare_wait: that is what makes it safe.
//
// Why no wake-up is lost. prepare_wait increments waiters_, reads the epoch (the key), and then
// issues a seq_cst fence before the caller re-checks the ring. notify issues a seq_cst fence
// after the caller's ring publish and before it reads waiters_. This is the store-buffering
// (Dekker) pattern:
//     consumer: waiters_ += 1 ; fence ; read ring          producer: write ring ; fence ; read waiters_
// Two seq_cst fences are totally ordered. If the consumer's fence comes first, the producer's
// read of waiters_ (after its fence) sees the increment, so it bumps the epoch and wakes. If the
// producer's fence comes first, the consumer's ring re-check (after its fence) sees the item and
// it does not sleep. Both reads missing each other's write is impossible.
// When the producer bumps the epoch, the consumer either (a) read the key before the bump: then
// the kernel's futex compare (epoch != key) fails or the FUTEX_WAKE that follows the bump finds
// it asleep; or (b) read the bumped epoch as its key: the bump is a release and the key load an
// acquire, and the bump comes after the producer's publish, so the consumer's re-check sees the
// item and it cancels. Either way it does not sleep through the notification.
//
// Cost: notify() with nobody waiting is a fence and one load of a line the consumer writes only
// when it goes to sleep. The fence is the price of not losing wake-ups (on x86 an mfence or a
// locked instruction, ~20-40 cycles); a producer that publishes a batch can notify once after
// the batch. With a waiter: one atomic add and one FUTEX_WAKE.
//
// The epoch is 32 bits (the futex word). A consumer would confuse epochs only if exactly 2^32
// notifications-with-a-waiter happened between its prepare_wait and the kernel's compare.
// notify() wakes every waiter, so one EventCount may serve several consumers or one consumer
// waiting on several rings (each producer notifies).
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

namespace tp {

class alignas(64) EventCount {
 public:
  class Key {
   public:
    friend bool operator==(Key, Key) = default;

   private:
    friend class EventCount;
    explicit Key(uint32_t e) noexcept : epoch_(e) {}
    uint32_t epoch_;
  };

  EventCount() noexcept = default;
  EventCount(const EventCount&) = delete;
  EventCount& operator=(const EventCount&) = delete;

  // Consumer: announce the intent to sleep. Must be followed by exactly one of cancel_wait(),
  // wait() or wait_for(), and the caller must re-check its condition in between.
  Key prepare_wait() noexcept {
    waiters_.fetch_add(1, std::memory_order_relaxed);
    const uint32_t epoch = epoch_.load(std::memory_order_acquire);
    // Pairs with the fence in notify(): orders the waiters_ increment before the caller's
    // re-check of its condition (see the top of the file).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return Key(epoch);
  }

  // Consumer: the re-check found work; do not sleep.
  void cancel_wait() noexcept { waiters_.fetch_sub(1, std::memory_order_relaxed); }

  // Consumer: sleep until a notify() that came after prepare_wait(). Returns at once if there
  // was one already; spurious futex returns and signals are absorbed here.
  void wait(Key key) noexcept {
    while (epoch_.load(std::memory_order_acquire) == key.epoch_) futex_wait(key.epoch_, nullptr);
    waiters_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Consumer: like wait(), but gives up after `timeout` so a blocked stage still looks at its
  // shutdown flags. True when notified, false on timeout (then the caller re-checks anyway).
  bool wait_for(Key key, std::chrono::nanoseconds timeout) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool notified = true;
    while (epoch_.load(std::memory_order_acquire) == key.epoch_) {
      const std::chrono::nanoseconds left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds::zero()) {
        notified = false;
        break;
      }
      futex_wait(key.epoch_, &left);
    }
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return notified;
  }

  // Producer: call after publishing. Wakes every consumer between prepare_wait and the end of
  // its wait; with none, costs a fence and a load.
  void notify() noexcept {
    // Pairs with the fence in prepare_wait(): orders the caller's publish (the ring store)
    // before the read of waiters_, so either we see the waiter or it sees the data.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_relaxed) == 0) [[likely]] return;
    // Release: a consumer that reads the new epoch as its key also sees what was published.
    epoch_.fetch_add(1, std::memory_order_release);
    futex_wake_all();
  }

  // Tests and diagnostics only: consumers between prepare_wait and the end of their wait.
  uint32_t waiters() const noexcept { return waiters_.load(std::memory_order_relaxed); }

 private:
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free,
                "the futex word is the atomic's storage");

  // Sleeps while epoch_ == expected (the kernel compares atomically with going to sleep), at
  // most `timeout` (relative, CLOCK_MONOTONIC) when non-null. May return spuriously.
  void futex_wait(uint32_t expected, const std::chrono::nanoseconds* timeout) noexcept {
#if defined(__linux__)
    timespec ts{};
    if (timeout != nullptr) {
      ts.tv_sec = static_cast<time_t>(timeout->count() / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(timeout->count() % 1'000'000'000);
    }
    syscall(SYS_futex, futex_word(), FUTEX_WAIT_PRIVATE, expected, timeout != nullptr ? &ts : nullptr, nullptr, 0);
#else
    // Portable fallback: short sleeps instead of a kernel wait queue (wait latency ~50 us).
    (void)expected;
    auto nap = std::chrono::nanoseconds(std::chrono::microseconds(50));
    if (timeout != nullptr && *timeout < nap) nap = *timeout;
    std::this_thread::sleep_for(nap);
#endif
  }

  void futex_wake_all() noexcept {
#if defined(__linux__)
    syscall(SYS_futex, futex_word(), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#endif
  }

#if defined(__linux__)
  uint32_t* futex_word() noexcept { return reinterpret_cast<uint32_t*>(&epoch_); }
#endif

  // Both on this object's one cache line: the producer reads waiters_ on every notify, and the
  // consumer writes it only when it is about to sleep, so the line stays shared while work flows.
  std::atomic<uint32_t> epoch_{0};
  std::atomic<uint32_t> waiters_{0};
};

}  // namespace tp
