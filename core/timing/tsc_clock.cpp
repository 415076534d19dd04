#include "core/timing/tsc_clock.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace tp {

namespace {

#if defined(__x86_64__)
struct Pair {
  uint64_t tsc;
  uint64_t ns;
};

uint64_t steady_now_ns() noexcept {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// One (tsc, ns) pair taken as close together as we can: the steady_clock read is bracketed by
// two rdtscs and the tightest of a few tries is kept, so a preemption or an interrupt between
// the reads does not skew the calibration.
Pair sample_pair() noexcept {
  Pair best{0, 0};
  uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 8; ++i) {
    const uint64_t a = __rdtsc();
    const uint64_t ns = steady_now_ns();
    const uint64_t b = __rdtsc();
    if (b - a < best_gap) {
      best_gap = b - a;
      best = {a + (b - a) / 2, ns};
    }
  }
  return best;
}

// TSC ticks per steady_clock nanosecond: the median of a few 10 ms rounds (30 ms in all, well
// under the 100 ms start-up budget); the median discards a round disturbed by the scheduler.
double calibrate_ticks_per_ns() {
  constexpr int kRounds = 3;
  constexpr auto kRound = std::chrono::milliseconds(10);
  std::array<double, kRounds> r{};
  for (double& v : r) {
    const Pair p0 = sample_pair();
    std::this_thread::sleep_for(kRound);
    const Pair p1 = sample_pair();
    v = p1.ns > p0.ns ? static_cast<double>(p1.tsc - p0.tsc) / static_cast<double>(p1.ns - p0.ns) : 0.0;
  }
  std::sort(r.begin(), r.end());
  return r[kRounds / 2];
}
#endif

}  // namespace

bool TscClock::cpu_has_invariant_tsc() noexcept {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  // __get_cpuid checks the highest extended leaf first, so an old CPU reports false, not junk.
  if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (edx & (1u << 8)) != 0;
#else
  return false;
#endif
}

bool TscClock::init(ClockChoice choice) {
  State s;  // steady_clock until proven otherwise
  if (choice == ClockChoice::Steady) {
    s.why = "forced";
  } else {
#if defined(__x86_64__)
    const bool invariant = cpu_has_invariant_tsc();
    if (choice == ClockChoice::Auto && !invariant) {
      s.why = "no invariant TSC";
    } else {
      const double tpn = calibrate_ticks_per_ns();
      // A TSC that calibrates outside 0.05 .. 20 GHz is broken (a hypervisor that traps or
      // scales it badly): stamps from it would be meaningless.
      if (!(tpn >= 0.05 && tpn <= 20.0)) {
        s.why = "TSC calibration failed";
      } else {
        s.tsc = true;
        s.ticks_per_ns = tpn;
        s.mult = static_cast<uint64_t>(std::llround(static_cast<double>(uint64_t{1} << kShift) / tpn));
        s.why = invariant ? "invariant" : "forced, not invariant";
      }
    }
#else
    s.why = "no TSC on this architecture";
#endif
  }
  state_ = s;
  return state_.tsc;
}

std::string TscClock::describe() {
  char buf[96];
  if (state_.tsc) {
    std::snprintf(buf, sizeof(buf), "tsc (%s, %.3f GHz calibrated)", state_.why, state_.ticks_per_ns);
  } else {
    std::snprintf(buf, sizeof(buf), "steady_clock (%s)", state_.why);
  }
  return buf;
}

}  // namespace tp
