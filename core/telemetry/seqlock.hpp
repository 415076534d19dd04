// Seqlock<T>: one writer publishes a whole T; any number of readers copy out a consistent T
// without ever making the writer wait (the single-writer principle: the writer never reads what a
// reader wrote, so it never takes a cache miss it did not cause). For figures a stage publishes
// for operators (ops/): the strategy's positions, P&L and state, read by a /metrics scrape.
//
// Invariant: seq_ is odd while a write is in progress. A reader that saw the same even seq_
// before and after its copy holds exactly one write's T. The words are relaxed atomics, not a
// memcpy of plain memory, so the overlap of a write and a read is no data race (TSan agrees);
// the fences order the words against seq_.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tp {

template <typename T>
class Seqlock {
  static_assert(std::is_trivially_copyable_v<T>, "a Seqlock copies T as words");

 public:
  Seqlock() noexcept { write(T{}); }
  Seqlock(const Seqlock&) = delete;
  Seqlock& operator=(const Seqlock&) = delete;

  // Writer thread only.
  void write(const T& value) noexcept {
    std::array<uint64_t, kWords> w{};
    std::memcpy(w.data(), &value, sizeof(T));
    const uint64_t s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < kWords; ++i) words_[i].store(w[i], std::memory_order_relaxed);
    seq_.store(s + 2, std::memory_order_release);
  }

  // Any thread. Retries while a write overlaps the copy (a write is a few stores: it ends soon).
  T read() const noexcept {
    std::array<uint64_t, kWords> w{};
    for (;;) {
      const uint64_t before = seq_.load(std::memory_order_acquire);
      if ((before & 1) != 0) continue;
      for (std::size_t i = 0; i < kWords; ++i) w[i] = words_[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == before) break;
    }
    T out;
    std::memcpy(static_cast<void*>(&out), w.data(), sizeof(T));
    return out;
  }

  // How many writes there have been (any thread): a reader can skip work when nothing changed.
  uint64_t version() const noexcept { return seq_.load(std::memory_order_acquire) / 2; }

 private:
  static constexpr std::size_t kWords = (sizeof(T) + 7) / 8;
  alignas(64) std::atomic<uint64_t> seq_{0};
  std::array<std::atomic<uint64_t>, kWords> words_{};
};

}  // namespace tp
