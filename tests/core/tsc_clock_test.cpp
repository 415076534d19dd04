#include "core/timing/tsc_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "core/threads/thread_affinity.hpp"

namespace tp {
namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The clock is process-wide: every test sets the mode it needs and leaves Auto behind.
class TscClockTest : public ::testing::Test {
 protected:
  void TearDown() override { TscClock::init(ClockChoice::Auto); }
};

TEST_F(TscClockTest, AutoPicksTheInvariantTscWhenThereIsOne) {
  const bool tsc = TscClock::init(ClockChoice::Auto);
  EXPECT_EQ(tsc, TscClock::cpu_has_invariant_tsc() && TscClock::ticks_per_ns() >= 0.05);
  EXPECT_EQ(TscClock::uses_tsc(), tsc);
  const std::string d = TscClock::describe();
  if (tsc) {
    EXPECT_EQ(d.rfind("tsc (invariant, ", 0), 0u) << d;
    EXPECT_NE(d.find("GHz calibrated)"), std::string::npos) << d;
  } else {
    EXPECT_EQ(d.rfind("steady_clock (", 0), 0u) << d;
  }
}

TEST_F(TscClockTest, CalibrationMatchesSteadyClock) {
  TscClock::init(ClockChoice::Auto);
  const int64_t n0 = steady_ns();
  const uint64_t c0 = tsc_now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t c1 = tsc_now();
  const int64_t n1 = steady_ns();
  const double want = static_cast<double>(n1 - n0);
  const double got = static_cast<double>(TscClock::to_ns(c1 - c0));
  EXPECT_NEAR(got, want, want * 0.10) << TscClock::describe();
}

TEST_F(TscClockTest, ToNsIsLinearAndHandlesLargeCounts) {
  TscClock::init(ClockChoice::Auto);
  const double tpn = TscClock::ticks_per_ns();
  // One hour of ticks converts without overflow (the multiply is 128-bit).
  const uint64_t hour_ns = 3'600'000'000'000ull;
  const auto hour_ticks = static_cast<uint64_t>(static_cast<double>(hour_ns) * tpn);
  const double got = static_cast<double>(TscClock::to_ns(hour_ticks));
  EXPECT_NEAR(got, static_cast<double>(hour_ns), static_cast<double>(hour_ns) * 1e-6);
  EXPECT_EQ(TscClock::to_ns(0), 0u);
}

TEST_F(TscClockTest, MonotoneOnOneCpu) {
  TscClock::init(ClockChoice::Auto);
  // On its own thread, pinned: the main thread's affinity (inherited by later tests) stays as is.
  const std::vector<int> cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  uint64_t backwards = 0;
  std::thread t([&] {
    pin_current_thread(cpus.front());
    uint64_t prev = tsc_now();
    for (int i = 0; i < 200'000; ++i) {
      const uint64_t now = tsc_now();
      if (now < prev) ++backwards;
      prev = now;
    }
  });
  t.join();
  EXPECT_EQ(backwards, 0u);
}

TEST_F(TscClockTest, ThirtyTwoBitStampsWrap) {
  EXPECT_EQ(stamp32(0x1234'5678'9ABC'DEF0ull), 0x9ABC'DEF0u);
  EXPECT_EQ(elapsed_ticks(0xFFFF'FFF0u, 0x10u), 0x20u);
  EXPECT_EQ(elapsed_ticks(5u, 5u), 0u);
  EXPECT_EQ(elapsed_ticks(0u, 0xFFFF'FFFFu), 0xFFFF'FFFFull);
  // Two 64-bit stamps across a 2^32 boundary: their low halves still give the interval.
  const uint64_t a = (uint64_t{7} << 32) - 100;
  const uint64_t b = a + 300;
  EXPECT_EQ(elapsed_ticks(stamp32(a), stamp32(b)), 300u);
  // An interval of exactly 2^32 ticks aliases to zero: the documented limit.
  EXPECT_EQ(elapsed_ticks(stamp32(a), stamp32(a + (uint64_t{1} << 32))), 0u);

  TscClock::init(ClockChoice::Steady);
  EXPECT_EQ(elapsed_ns32(stamp32(a), stamp32(b)), 300u) << "steady ticks are nanoseconds";
}

TEST_F(TscClockTest, ThirtyTwoBitStampsOfRealIntervals) {
  TscClock::init(ClockChoice::Auto);
  const int64_t n0 = steady_ns();
  const uint32_t s0 = stamp32(tsc_now());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint32_t s1 = stamp32(tsc_now());
  const int64_t n1 = steady_ns();
  const double want = static_cast<double>(n1 - n0);
  EXPECT_NEAR(static_cast<double>(elapsed_ns32(s0, s1)), want, want * 0.10);
}

TEST_F(TscClockTest, ForcedSteady) {
  EXPECT_FALSE(TscClock::init(ClockChoice::Steady));
  EXPECT_FALSE(TscClock::uses_tsc());
  EXPECT_EQ(TscClock::describe(), "steady_clock (forced)");
  EXPECT_DOUBLE_EQ(TscClock::ticks_per_ns(), 1.0);
  EXPECT_EQ(TscClock::to_ns(123'456'789'012ull), 123'456'789'012ull);
  EXPECT_EQ(TscClock::to_ns(UINT64_MAX), UINT64_MAX);
  // Ticks are steady_clock nanoseconds.
  const int64_t before = steady_ns();
  const auto t = static_cast<int64_t>(tsc_now());
  const int64_t after = steady_ns();
  EXPECT_GE(t, before);
  EXPECT_LE(t, after);
}

TEST_F(TscClockTest, ForcedTsc) {
  const bool tsc = TscClock::init(ClockChoice::Tsc);
#if defined(__x86_64__)
  EXPECT_TRUE(tsc) << TscClock::describe();
  EXPECT_EQ(TscClock::describe().rfind("tsc (", 0), 0u);
#else
  EXPECT_FALSE(tsc);
#endif
}

}  // namespace
}  // namespace tp
