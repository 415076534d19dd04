// A fixed set of event counters indexed by an enum, with one name per counter for reports.
//
// Each CounterSet has exactly one writing thread (the stage that owns it); other threads read it
// only after that stage has been joined, or accept a torn-free but possibly stale relaxed read
// (each cell is a naturally aligned uint64_t).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tp {

template <typename Enum, std::size_t N>
struct CounterSet {
  static constexpr std::size_t kSize = N;
  std::array<uint64_t, N> values{};

  void inc(Enum e, uint64_t by = 1) noexcept { values[static_cast<std::size_t>(e)] += by; }
  uint64_t operator[](Enum e) const noexcept { return values[static_cast<std::size_t>(e)]; }
  uint64_t total() const noexcept {
    uint64_t t = 0;
    for (uint64_t v : values) t += v;
    return t;
  }
  CounterSet& operator+=(const CounterSet& o) noexcept {
    for (std::size_t i = 0; i < N; ++i) values[i] += o.values[i];
    return *this;
  }
};

}  // namespace tp
