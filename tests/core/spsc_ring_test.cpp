#include "core/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>

#include "core/events.hpp"

namespace tp {
namespace {

TEST(SpscRing, FifoSingleThread) {
  SpscRing<uint64_t, 8> r;
  uint64_t v = 0;
  EXPECT_FALSE(r.try_pop(v));
  for (uint64_t i = 0; i < 8; ++i) EXPECT_TRUE(r.try_push(i));
  EXPECT_FALSE(r.try_push(99)) << "a full ring refuses";
  EXPECT_EQ(r.size(), 8u);
  for (uint64_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(r.try_pop(v));
    EXPECT_EQ(v, i);
  }
  EXPECT_TRUE(r.empty());
}

TEST(SpscRing, WrapsAroundManyTimes) {
  SpscRing<uint64_t, 4> r;
  uint64_t v = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(r.try_push(i));
    ASSERT_TRUE(r.try_push(i + 1'000'000));
    ASSERT_TRUE(r.try_pop(v));
    EXPECT_EQ(v, i);
    ASSERT_TRUE(r.try_pop(v));
    EXPECT_EQ(v, i + 1'000'000);
  }
}

TEST(SpscRing, FrontAndPop) {
  SpscRing<int, 2> r;
  EXPECT_EQ(r.front(), nullptr);
  r.try_push(7);
  ASSERT_NE(r.front(), nullptr);
  EXPECT_EQ(*r.front(), 7);
  r.pop();
  EXPECT_EQ(r.front(), nullptr);
}

TEST(SpscRing, SharedStateIsOnSeparateCacheLines) {
  // The object is cache-line aligned and large enough to hold producer, consumer and slots apart.
  EXPECT_EQ(alignof(SpscRing<MarketEvent, 16>), 64u);
  EXPECT_GE(sizeof(SpscRing<MarketEvent, 16>), 64u * 2 + 16 * sizeof(MarketEvent));
}

// Two threads: every message arrives exactly once and in order. The payload checks that a slot
// is never read before it was fully written (all fields derived from the sequence number).
TEST(SpscRing, TwoThreadStressExactlyOnceInOrder) {
  constexpr uint64_t kCount = 2'000'000;
  auto ring = std::make_unique<SpscRing<MarketEvent, 1024>>();
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount; ++i) {
      MarketEvent e{};
      e.exch_ts_ns = static_cast<int64_t>(i);
      e.recv_ts_ns = static_cast<int64_t>(~i);
      e.book.bid_px = static_cast<Fixed>(i * 3);
      e.book.venue_seq = i * 7;
      e.symbol_id = static_cast<SymbolId>(i & 0xffff);
      while (!ring->try_push(e)) std::this_thread::yield();
    }
  });
  uint64_t expected = 0;
  uint64_t bad = 0;
  MarketEvent e;
  while (expected < kCount) {
    if (!ring->try_pop(e)) {
      std::this_thread::yield();
      continue;
    }
    const uint64_t i = static_cast<uint64_t>(e.exch_ts_ns);
    if (i != expected || e.recv_ts_ns != static_cast<int64_t>(~i) || e.book.bid_px != static_cast<Fixed>(i * 3) ||
        e.book.venue_seq != i * 7 || e.symbol_id != static_cast<SymbolId>(i & 0xffff))
      ++bad;
    ++expected;
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_FALSE(ring->try_pop(e)) << "nothing extra arrives";
}

}  // namespace
}  // namespace tp
