#include "core/threads/wait_strategy.hpp"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/threads/event_count.hpp"
#include "core/threads/spsc_ring.hpp"

namespace tp {
namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

TEST(WaitKind, NamesRoundTrip) {
  for (WaitKind k : {WaitKind::BusySpin, WaitKind::SpinThenYield, WaitKind::Blocking}) {
    WaitKind parsed = k == WaitKind::BusySpin ? WaitKind::Blocking : WaitKind::BusySpin;
    ASSERT_TRUE(parse_wait_kind(wait_kind_name(k), parsed)) << wait_kind_name(k);
    EXPECT_EQ(parsed, k);
  }
  EXPECT_STREQ(wait_kind_name(WaitKind::BusySpin), "busy_spin");
  EXPECT_STREQ(wait_kind_name(WaitKind::SpinThenYield), "spin_then_yield");
  EXPECT_STREQ(wait_kind_name(WaitKind::Blocking), "blocking");
  WaitKind k = WaitKind::SpinThenYield;
  EXPECT_FALSE(parse_wait_kind("Blocking", k));
  EXPECT_FALSE(parse_wait_kind("", k));
  EXPECT_FALSE(parse_wait_kind("block", k));
  EXPECT_EQ(k, WaitKind::SpinThenYield) << "a failed parse leaves the value alone";
}

TEST(Waiter, ExistingApiStillWorks) {
  Waiter dflt;
  EXPECT_EQ(dflt.kind(), WaitKind::SpinThenYield);
  for (WaitKind kind : {WaitKind::BusySpin, WaitKind::SpinThenYield, WaitKind::Blocking}) {
    Waiter w(kind);
    for (int i = 0; i < 300; ++i) w.idle();
    w.reset();
    w.idle();
  }
}

TEST(Waiter, BlockingWithoutEventCountNaps) {
  Waiter w(WaitKind::Blocking);
  for (uint32_t i = 0; i < Waiter::kSpinLimit + Waiter::kYieldLimit; ++i) w.idle();
  const auto t0 = Clock::now();
  w.idle_until([] { return false; });
  EXPECT_GE(Clock::now() - t0, Waiter::kNap) << "past its spin and yield phases it sleeps";
}

TEST(Waiter, BlockingSleepIsBoundedWithoutANotify) {
  EventCount ec;
  Waiter w(WaitKind::Blocking, &ec);
  for (uint32_t i = 0; i < Waiter::kSpinLimit + Waiter::kYieldLimit; ++i) w.idle_until([] { return false; });
  const auto t0 = Clock::now();
  EXPECT_FALSE(w.idle_until([] { return false; })) << "nobody notifies: the backstop ends the sleep";
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, Waiter::kBlockTimeout);
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(ec.waiters(), 0u);
}

TEST(Waiter, BlockingDoesNotSleepWhenReady) {
  EventCount ec;
  Waiter w(WaitKind::Blocking, &ec, std::chrono::seconds(30));
  for (uint32_t i = 0; i < Waiter::kSpinLimit + Waiter::kYieldLimit; ++i) w.idle_until([] { return false; });
  const auto t0 = Clock::now();
  EXPECT_TRUE(w.idle_until([] { return true; })) << "the re-check after prepare_wait cancels the sleep";
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
  EXPECT_EQ(ec.waiters(), 0u);
}

TEST(EventCount, NotifyWithoutWaitersIsSilent) {
  EventCount ec;
  const EventCount::Key k1 = ec.prepare_wait();
  EXPECT_EQ(ec.waiters(), 1u);
  ec.cancel_wait();
  EXPECT_EQ(ec.waiters(), 0u);
  ec.notify();
  ec.notify();
  const EventCount::Key k2 = ec.prepare_wait();
  ec.cancel_wait();
  EXPECT_TRUE(k1 == k2) << "no waiter: notify must not touch the epoch";
}

TEST(EventCount, NotifyAfterPrepareReleasesTheWait) {
  EventCount ec;
  const EventCount::Key k = ec.prepare_wait();
  ec.notify();  // between prepare and wait: the wait must not sleep
  const auto t0 = Clock::now();
  ec.wait(k);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
  EXPECT_EQ(ec.waiters(), 0u);
  const EventCount::Key k2 = ec.prepare_wait();
  EXPECT_FALSE(k == k2);
  ec.notify();
  EXPECT_TRUE(ec.wait_for(k2, std::chrono::seconds(5)));
}

TEST(EventCount, WaitForTimesOut) {
  EventCount ec;
  const auto t0 = Clock::now();
  EXPECT_FALSE(ec.wait_for(ec.prepare_wait(), std::chrono::milliseconds(5)));
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(5));
  EXPECT_EQ(ec.waiters(), 0u);
  EXPECT_FALSE(ec.wait_for(ec.prepare_wait(), std::chrono::nanoseconds(0)));
  EXPECT_EQ(ec.waiters(), 0u);
}

TEST(EventCount, WakesASleepingThread) {
  EventCount ec;
  std::atomic<bool> flag{false};
  std::atomic<int64_t> woke_after_ns{-1};
  std::thread consumer([&] {
    const int64_t t0 = now_ns();
    while (!flag.load(std::memory_order_acquire)) {
      const EventCount::Key key = ec.prepare_wait();
      if (flag.load(std::memory_order_acquire)) {
        ec.cancel_wait();
        break;
      }
      ec.wait(key);  // unbounded: a lost wake-up hangs this test
    }
    woke_after_ns.store(now_ns() - t0, std::memory_order_relaxed);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(woke_after_ns.load(), -1) << "it sleeps until notified";
  flag.store(true, std::memory_order_release);
  ec.notify();
  consumer.join();
  EXPECT_GE(woke_after_ns.load(), 15'000'000);
}

// The raw protocol with a long timeout: a timeout means a wake-up was lost (the producer
// always notifies after each publish and never pauses for long), and the test stops at the
// first. The producer pauses at random so the consumer goes through prepare/re-check/sleep
// often and the races are exercised.
TEST(EventCount, NeverLosesAWakeup) {
  constexpr uint64_t kItems = 100'000;
  auto ring = std::make_unique<SpscRing<uint64_t, 64>>();
  EventCount ec;
  std::atomic<bool> lost{false};
  uint64_t sleeps = 0;
  uint64_t next = 0;
  bool in_order = true;
  std::thread consumer([&] {
    uint64_t v = 0;
    while (next < kItems) {
      if (ring->try_pop(v)) {
        in_order = in_order && v == next;
        ++next;
        continue;
      }
      const EventCount::Key key = ec.prepare_wait();
      if (!ring->empty()) {
        ec.cancel_wait();
        continue;
      }
      ++sleeps;
      if (!ec.wait_for(key, std::chrono::seconds(2))) {
        lost.store(true, std::memory_order_relaxed);
        return;
      }
    }
  });
  std::mt19937 rng(12345);
  for (uint64_t i = 0; i < kItems && !lost.load(std::memory_order_relaxed); ++i) {
    while (!ring->try_push(i) && !lost.load(std::memory_order_relaxed)) std::this_thread::yield();
    ec.notify();
    const uint32_t r = rng() % 64;
    if (r == 0) {
      std::this_thread::yield();
    } else if (r < 8) {
      for (uint32_t s = 0; s < r * 16; ++s) cpu_relax();
    }
  }
  consumer.join();
  RecordProperty("sleeps", std::to_string(sleeps));
  EXPECT_FALSE(lost.load()) << "a lost wake-up (after " << sleeps << " sleeps)";
  EXPECT_EQ(next, kItems);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(ec.waiters(), 0u);
}

TEST(BlockingWait, MillionItemsInOrder) {
  constexpr uint64_t kItems = 1'000'000;
  auto ring = std::make_unique<SpscRing<uint64_t, 1024>>();
  EventCount ec;
  uint64_t received = 0;
  bool in_order = true;
  std::thread consumer([&] {
    Waiter w(WaitKind::Blocking, &ec);
    uint64_t v = 0;
    while (received < kItems) {
      if (ring->try_pop(v)) {
        in_order = in_order && v == received;
        ++received;
        w.reset();
        continue;
      }
      w.idle_until([&] { return !ring->empty(); });
    }
  });
  Waiter pw(WaitKind::SpinThenYield);
  for (uint64_t i = 0; i < kItems; ++i) {
    while (!ring->try_push(i)) pw.idle();
    pw.reset();
    ec.notify();
  }
  consumer.join();
  EXPECT_EQ(received, kItems);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(ec.waiters(), 0u);
}

// A slow producer: the consumer goes to sleep before nearly every item and must be woken by
// notify(). The backstop timeout is 2 s here and the producer never pauses for more than
// 200 us, so a sleep that times out is a lost wake-up (the test stops at the first). The wake-up
// latency itself is the scheduler's business (a loaded machine makes it milliseconds), so it is
// recorded, not asserted.
TEST(BlockingWait, SleepsAndWakesPromptlyWithASlowProducer) {
  struct Item {
    uint64_t seq;
    int64_t pushed_ns;
  };
  constexpr uint64_t kItems = 1000;
  auto ring = std::make_unique<SpscRing<Item, 1024>>();  // never full: the producer never waits
  EventCount ec;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> timeouts{0};
  std::vector<int64_t> latency_ns;
  latency_ns.reserve(kItems);
  uint64_t received = 0;
  bool in_order = true;
  int64_t consumer_cpu_ns = 0;

  const int64_t t0 = now_ns();
  std::thread consumer([&] {
    const int64_t cpu0 = thread_cpu_ns();
    Waiter w(WaitKind::Blocking, &ec, std::chrono::seconds(2));
    Item it{};
    while (timeouts.load(std::memory_order_relaxed) == 0) {
      if (ring->try_pop(it)) {
        latency_ns.push_back(now_ns() - it.pushed_ns);
        in_order = in_order && it.seq == received;
        ++received;
        w.reset();
        continue;
      }
      if (done.load(std::memory_order_acquire) && ring->empty()) break;
      if (!w.idle_until([&] { return !ring->empty() || done.load(std::memory_order_acquire); })) {
        timeouts.fetch_add(1, std::memory_order_relaxed);
      }
    }
    consumer_cpu_ns = thread_cpu_ns() - cpu0;
  });
  std::mt19937 rng(7);
  for (uint64_t i = 0; i < kItems && timeouts.load(std::memory_order_relaxed) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 200));  // 100 us on average
    EXPECT_TRUE(ring->try_push(Item{i, now_ns()}));
    ec.notify();
  }
  done.store(true, std::memory_order_release);
  ec.notify();
  consumer.join();
  const int64_t wall_ns = now_ns() - t0;

  EXPECT_EQ(timeouts.load(), 0u) << "a lost wake-up";
  EXPECT_EQ(received, kItems);
  EXPECT_TRUE(in_order);
  EXPECT_LT(wall_ns, 5'000'000'000) << "it must wake promptly";
  if (!latency_ns.empty()) {
    std::sort(latency_ns.begin(), latency_ns.end());
    RecordProperty("median_wake_ns", std::to_string(latency_ns[latency_ns.size() / 2]));
    RecordProperty("p99_wake_ns", std::to_string(latency_ns[latency_ns.size() * 99 / 100]));
  }
  RecordProperty("consumer_cpu_ns", std::to_string(consumer_cpu_ns));
  RecordProperty("wall_ns", std::to_string(wall_ns));
  EXPECT_LT(consumer_cpu_ns, wall_ns / 2) << "the consumer should sleep, not spin (cpu " << consumer_cpu_ns
                                          << " ns of " << wall_ns << " ns)";
}

}  // namespace
}  // namespace tp
