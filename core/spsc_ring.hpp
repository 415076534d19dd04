// SpscRing<T, Capacity>: a bounded single-producer single-consumer queue of plain structs.
//
// Storage is a fixed array inside the object (no allocation, ever). The producer owns `head_`,
// the consumer owns `tail_`; each lives on its own cache line together with that side's cached
// copy of the other side's index, so in steady state a push or pop touches only lines its own
// thread already holds, and reads the other side's line only when the cached index says the
// ring looks full (producer) or empty (consumer).
//
// Invariants: head_ and tail_ only grow (64-bit, never wrap in practice); 0 <= head_ - tail_
// <= Capacity; slot i is owned by the producer when i >= tail_ + Capacity is false and i >= head_,
// by the consumer when tail_ <= i < head_. The release store of head_ publishes the slot written
// before it; the release store of tail_ returns the slot read before it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

namespace tp {

inline constexpr std::size_t kCacheLine = 64;

template <typename T, std::size_t Capacity>
class SpscRing {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");
  static_assert(std::is_trivially_copyable_v<T>, "ring slots hold plain structs");

 public:
  SpscRing() = default;
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  static constexpr std::size_t capacity() noexcept { return Capacity; }

  // Producer thread only. False when full.
  bool try_push(const T& value) noexcept {
    const uint64_t head = prod_.head.load(std::memory_order_relaxed);
    if (head - prod_.cached_tail >= Capacity) {
      prod_.cached_tail = cons_.tail.load(std::memory_order_acquire);
      if (head - prod_.cached_tail >= Capacity) return false;
    }
    slots_[head & kMask] = value;
    prod_.head.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only. False when empty.
  bool try_pop(T& out) noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_relaxed);
    if (tail == cons_.cached_head) {
      cons_.cached_head = prod_.head.load(std::memory_order_acquire);
      if (tail == cons_.cached_head) return false;
    }
    out = slots_[tail & kMask];
    cons_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only: the next element without removing it, or nullptr when empty.
  const T* front() noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_relaxed);
    if (tail == cons_.cached_head) {
      cons_.cached_head = prod_.head.load(std::memory_order_acquire);
      if (tail == cons_.cached_head) return nullptr;
    }
    return &slots_[tail & kMask];
  }
  // Consumer thread only; only after front() returned non-null.
  void pop() noexcept {
    cons_.tail.store(cons_.tail.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Either thread; approximate while the other side is running.
  bool empty() const noexcept {
    return prod_.head.load(std::memory_order_acquire) == cons_.tail.load(std::memory_order_acquire);
  }
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(prod_.head.load(std::memory_order_acquire) -
                                    cons_.tail.load(std::memory_order_acquire));
  }

 private:
  static constexpr uint64_t kMask = Capacity - 1;

  struct alignas(kCacheLine) Producer {
    std::atomic<uint64_t> head{0};
    uint64_t cached_tail = 0;
  };
  struct alignas(kCacheLine) Consumer {
    std::atomic<uint64_t> tail{0};
    uint64_t cached_head = 0;
  };

  Producer prod_;
  Consumer cons_;
  // Value-initialised: zeroing at construction also touches every page before the hot path runs.
  alignas(kCacheLine) T slots_[Capacity]{};
};

}  // namespace tp
