// Counters a stage keeps and anyone may read while it runs (the report after the run, /metrics
// during it: ops/).
//
// Counter: one count with exactly one writing thread (the stage that owns it). It is an
// std::atomic<uint64_t> that the writer bumps with a relaxed load + store - with one writer there is
// no read-modify-write race, and on x86 that is the same plain add to memory a uint64_t gets, no
// locked instruction - so a reader on another thread sees a torn-free value that never goes
// backwards, without a data race (TSan agrees). Copying one reads it (relaxed): a copy taken while
// the writer runs is a consistent-enough snapshot for a report or a scrape.
//
// CounterSet: a fixed set of Counters indexed by an enum, with one name per counter for reports.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tp {

class Counter {
 public:
  constexpr Counter(uint64_t v = 0) noexcept : v_(v) {}  // NOLINT: a count reads like a number
  Counter(const Counter& o) noexcept : v_(o.load()) {}
  Counter& operator=(const Counter& o) noexcept {
    store(o.load());
    return *this;
  }
  Counter& operator=(uint64_t v) noexcept {
    store(v);
    return *this;
  }
  operator uint64_t() const noexcept { return load(); }  // NOLINT
  uint64_t load() const noexcept { return v_.load(std::memory_order_relaxed); }

  // Writer thread only.
  Counter& operator+=(uint64_t by) noexcept {
    store(load() + by);
    return *this;
  }
  Counter& operator-=(uint64_t by) noexcept {
    store(load() - by);
    return *this;
  }
  Counter& operator++() noexcept { return *this += 1; }
  void operator++(int) noexcept { *this += 1; }
  Counter& operator--() noexcept { return *this -= 1; }
  void operator--(int) noexcept { *this -= 1; }

 private:
  void store(uint64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  std::atomic<uint64_t> v_;
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

template <typename Enum, std::size_t N>
struct CounterSet {
  static constexpr std::size_t kSize = N;
  std::array<Counter, N> values{};

  void inc(Enum e, uint64_t by = 1) noexcept { values[static_cast<std::size_t>(e)] += by; }
  uint64_t operator[](Enum e) const noexcept { return values[static_cast<std::size_t>(e)]; }
  uint64_t total() const noexcept {
    uint64_t t = 0;
    for (uint64_t v : values) t += v;
    return t;
  }
  CounterSet& operator+=(const CounterSet& o) noexcept {
    for (std::size_t i = 0; i < N; ++i) values[i] += o.values[i].load();
    return *this;
  }
};

}  // namespace tp
