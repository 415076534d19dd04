// A process-wide clock for latency stamps: the invariant TSC where the CPU has one, else
// std::chrono::steady_clock in nanoseconds.
//
// Ticks are opaque: take stamps with tsc_now() on the hot path and turn differences into
// nanoseconds with TscClock::to_ns() (a multiply and a shift, no division), ideally off the hot
// path. Which source the ticks come from is decided once, by TscClock::init(), before any thread
// that stamps is started; until then the clock reads steady_clock, so a stamp is always valid.
//
// Why plain rdtsc, with no lfence / rdtscp: rdtsc is not ordered with the instructions around it,
// so a stamp may be taken a few dozen cycles early or late (at most the out-of-order window).
// The intervals we measure (ring hops, decode, a strategy step) are tens of nanoseconds and up,
// and we look at distributions, so that skew is noise; a fence on every stamp would cost
// 20-40 cycles and serialise the pipeline of the very code being measured.
//
// 32-bit stamps: events carry stamps in 32 bits (stamp32). elapsed_ticks() subtracts modulo
// 2^32, which is right as long as the real interval is shorter than 2^32 ticks: about 1.4 s at
// 3 GHz with the TSC, about 4.3 s with the steady_clock fallback (ticks are nanoseconds). A
// longer interval silently wraps, so 32-bit stamps are for latencies, not for wall time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tp {

enum class ClockChoice : uint8_t {
  Auto,    // the TSC if it is invariant (and calibrates sensibly), else steady_clock
  Tsc,     // the TSC even if CPUID does not promise it is invariant (x86-64 only)
  Steady,  // steady_clock nanoseconds
};

class TscClock {
 public:
  // Chooses the tick source and, for the TSC, calibrates it against steady_clock (about 30 ms,
  // the median of three rounds). Not thread-safe: call it before starting threads that stamp
  // (tests call it again to switch modes, with no other thread reading the clock).
  // Returns uses_tsc().
  static bool init(ClockChoice choice = ClockChoice::Auto);

  // One stamp. Hot path: one predictable branch on read-only state, then rdtsc or a vDSO
  // clock_gettime.
  static uint64_t now() noexcept {
#if defined(__x86_64__)
    if (state_.tsc) [[likely]] return __rdtsc();
#endif
    return steady_ns();
  }

  // Ticks to nanoseconds: (ticks * mult) >> shift in 128 bits, so any 64-bit tick count converts
  // without overflow. With steady_clock mult == 1 << shift: the identity, exactly.
  static uint64_t to_ns(uint64_t ticks) noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<uint64_t>((static_cast<u128>(ticks) * state_.mult) >> kShift);
  }

  static bool uses_tsc() noexcept { return state_.tsc; }
  // Calibrated TSC frequency in GHz (ticks per ns); 1.0 for steady_clock.
  static double ticks_per_ns() noexcept { return state_.ticks_per_ns; }
  // CPUID leaf 0x80000007, EDX bit 8. False on non-x86.
  static bool cpu_has_invariant_tsc() noexcept;
  // "tsc (invariant, 2.995 GHz calibrated)", "steady_clock (no invariant TSC)", ...
  static std::string describe();

 private:
  static constexpr unsigned kShift = 32;

  static uint64_t steady_ns() noexcept {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }

  // Written only by init(); read on every stamp. Its own cache line so no written data shares it.
  struct alignas(64) State {
    bool tsc = false;
    uint64_t mult = uint64_t{1} << kShift;
    double ticks_per_ns = 1.0;
    const char* why = "not initialised";  // the reason for the choice, for describe()
  };
  static State state_;
};

// Defined out of the class: State's member initialisers are only usable once TscClock is complete.
inline TscClock::State TscClock::state_{};

// The stamp to put in events and latency records.
inline uint64_t tsc_now() noexcept { return TscClock::now(); }

// The low 32 bits of a stamp, as carried in one-cache-line structs.
constexpr uint32_t stamp32(uint64_t ticks) noexcept { return static_cast<uint32_t>(ticks); }

// Ticks from `from` to `to`, modulo 2^32: correct while the interval is < 2^32 ticks (see top).
constexpr uint64_t elapsed_ticks(uint32_t from, uint32_t to) noexcept { return static_cast<uint32_t>(to - from); }

inline uint64_t elapsed_ns32(uint32_t from, uint32_t to) noexcept { return TscClock::to_ns(elapsed_ticks(from, to)); }

}  // namespace tp
