// The two system clocks the engine reads outside the TSC: CLOCK_MONOTONIC for deadlines and waits
// (never jumps), CLOCK_REALTIME for receive times (SPEC §10.2: a live message's receive time is the
// realtime clock of the read that completed it). Both are vDSO calls: no system call.
#pragma once

#include <time.h>

#include <cstdint>

namespace tp {

inline int64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline int64_t monotonic_ms() noexcept { return monotonic_ns() / 1'000'000; }

inline int64_t realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace tp
