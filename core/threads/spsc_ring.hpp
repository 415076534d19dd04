// SpscRing<T, Capacity>: a bounded single-producer single-consumer queue of plain structs.
//
// Storage is a fixed array inside the object (no allocation, ever). Design: a per-slot turn
// byte (Vyukov's bounded queue, specialised to one producer and one consumer) for the data
// direction, and a cached consumer index for the space direction.
//
//  * The producer owns `head_` and `cached_tail_` (one cache line); the consumer owns `tail_`
//    (another cache line). The slot array starts on a third line. Producer and consumer state
//    never share a line with each other or with a slot.
//  * Each slot carries a turn byte. Data direction: the producer writes the payload and then
//    release-stores the slot's turn = turn_for(position); the consumer acquire-loads the turn of
//    the slot at `tail_` and owns the slot iff it equals turn_for(tail_). The consumer never
//    reads `head_` on the hot path, so a message costs one cache-line transfer (the slot's line)
//    when the turn lives in the payload's line.
//  * Space direction: the consumer release-stores `tail_ + 1` after copying a slot out; the
//    producer reads `tail_` (acquire) only when its cached copy says the ring is full, i.e. about
//    once per Capacity messages while the consumer keeps up.
//  * Where the turn lives: if T has a member `uint8_t ring_turn` (and is standard-layout) the
//    ring owns that byte and a slot is exactly a T (MarketEvent: the byte sits in its tail
//    padding, so a slot stays one cache line). Pushing never copies the caller's ring_turn;
//    try_pop hands back ring_turn == 0; through front() it reads as the ring's turn value.
//    Otherwise a slot is {T, uint8_t turn} (for a 64-byte-aligned T that is two cache lines).
//
// Invariants: head_ and tail_ only grow (64-bit, never wrap in practice); at every point of the
// producer's execution 0 <= head_ - tail_ <= Capacity (the consumer may see a head_ that lags,
// see below). turn_for(p) = uint8_t(p / Capacity + 1), so consecutive laps of one slot carry
// different turns and the zero-initialised array reads as "lap -1, consumed". Because the
// producer is never more than one lap ahead of the consumer, the slot at position p holds either
// lap(p)-1's (already consumed) turn or turn_for(p). The producer writes slot p only after it has
// seen tail_ > p - Capacity (acquire), so the consumer's copy-out of the previous lap happens
// before the overwrite; the consumer reads slot p only after seeing turn_for(p) (acquire), so
// the payload write happens before the read. Exactly once, in order. `head_` is still published
// (release, after the turn) on every push, for size()/empty() only; the consumer may briefly be
// ahead of the published head_, so both clamp head_ <= tail_ to empty, and seen from the consumer
// !empty() implies try_pop succeeds. The consumer publishes tail_ on every pop (not batched), so
// a producer waiting on a full ring sees room as soon as the consumer has taken a message.
//
// Why: with the old index-only design the consumer polled head_ (one line) and then read the
// slot (another line), two serial cache-line transfers per message; here a message costs one
// (BENCHMARKS.md, "Ring").
#pragma once

#include <atomic>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace tp {

inline constexpr std::size_t kCacheLine = 64;

// T carries a byte that SpscRing may use as the slot's turn (see the header comment).
template <typename T>
concept RingTurnCarrier = std::is_standard_layout_v<T> && requires { requires std::same_as<decltype(T::ring_turn), uint8_t>; };

template <typename T, std::size_t Capacity>
class SpscRing {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");
  static_assert(std::is_trivially_copyable_v<T>, "ring slots hold plain structs");

 public:
  SpscRing() = default;
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  static constexpr std::size_t capacity() noexcept { return Capacity; }
  // True when the turn lives inside T (one cache line per 64-byte slot).
  static constexpr bool turn_in_payload() noexcept { return kInlineTurn; }

  // Producer thread only. False when full.
  bool try_push(const T& value) noexcept {
    const uint64_t head = prod_.head.load(std::memory_order_relaxed);
    if (head - prod_.cached_tail >= Capacity) [[unlikely]] {
      prod_.cached_tail = cons_.tail.load(std::memory_order_acquire);
      if (head - prod_.cached_tail >= Capacity) return false;
    }
    Slot& s = slots_[head & kMask];
    store_payload(s, value);
    std::atomic_ref<uint8_t>(turn_ref(s)).store(turn_for(head), std::memory_order_release);
    prod_.head.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only. False when empty.
  bool try_pop(T& out) noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_relaxed);
    Slot& s = slots_[tail & kMask];
    if (std::atomic_ref<uint8_t>(turn_ref(s)).load(std::memory_order_acquire) != turn_for(tail)) return false;
    load_payload(out, s);
    cons_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only: the next element without removing it, or nullptr when empty.
  const T* front() noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_relaxed);
    Slot& s = slots_[tail & kMask];
    if (std::atomic_ref<uint8_t>(turn_ref(s)).load(std::memory_order_acquire) != turn_for(tail)) return nullptr;
    return &value_ref(s);
  }
  // Consumer thread only; only after front() returned non-null.
  void pop() noexcept {
    cons_.tail.store(cons_.tail.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Either thread; approximate while the other side is running. The consumer takes messages by
  // their turn, so it can be ahead of the producer's published head_ for a moment; both calls
  // treat head_ <= tail_ as empty. Seen from the consumer, !empty() means try_pop succeeds.
  bool empty() const noexcept { return size() == 0; }
  std::size_t size() const noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_acquire);
    const uint64_t head = prod_.head.load(std::memory_order_acquire);
    return head > tail ? static_cast<std::size_t>(head - tail) : 0;
  }

 private:
  static constexpr bool kInlineTurn = RingTurnCarrier<T>;
  static constexpr uint64_t kMask = Capacity - 1;
  static constexpr int kLapShift = std::countr_zero(Capacity);

  static constexpr uint8_t turn_for(uint64_t pos) noexcept { return static_cast<uint8_t>((pos >> kLapShift) + 1); }

  struct SlotWithTurn {
    T value;
    uint8_t turn;
  };
  using Slot = std::conditional_t<kInlineTurn, T, SlotWithTurn>;

  static uint8_t& turn_ref(Slot& s) noexcept {
    if constexpr (kInlineTurn) return s.ring_turn;
    else return s.turn;
  }
  static T& value_ref(Slot& s) noexcept {
    if constexpr (kInlineTurn) return s;
    else return s.value;
  }
  // Writes every byte of the payload except the turn byte (which the consumer may be polling).
  static void store_payload(Slot& s, const T& v) noexcept {
    if constexpr (kInlineTurn) {
      constexpr std::size_t off = offsetof(T, ring_turn);
      auto* d = reinterpret_cast<unsigned char*>(&s);
      const auto* src = reinterpret_cast<const unsigned char*>(&v);
      std::memcpy(d, src, off);
      if constexpr (off + 1 < sizeof(T)) std::memcpy(d + off + 1, src + off + 1, sizeof(T) - off - 1);
    } else {
      s.value = v;
    }
  }
  static void load_payload(T& out, const Slot& s) noexcept {
    if constexpr (kInlineTurn) {
      out = s;
      out.ring_turn = 0;
    } else {
      out = s.value;
    }
  }

  struct alignas(kCacheLine) Producer {
    std::atomic<uint64_t> head{0};
    uint64_t cached_tail = 0;
  };
  struct alignas(kCacheLine) Consumer {
    std::atomic<uint64_t> tail{0};
  };

  Producer prod_;
  Consumer cons_;
  // Value-initialised: every turn starts at 0 (= turn_for(-Capacity), consumed), and zeroing at
  // construction also touches every page before the hot path runs.
  alignas(kCacheLine) Slot slots_[Capacity]{};
};

}  // namespace tp
