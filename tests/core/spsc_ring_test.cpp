#include "core/threads/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>

#include "core/types/events.hpp"

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
  // MarketEvent carries the turn byte, so its slots stay exactly one cache line each.
  static_assert(SpscRing<MarketEvent, 16>::turn_in_payload());
  EXPECT_EQ(sizeof(SpscRing<MarketEvent, 16>), 64u * 2 + 16 * sizeof(MarketEvent));
  static_assert(!SpscRing<uint64_t, 16>::turn_in_payload());
}

// A type whose ring-owned byte sits in the middle, so the payload copy has bytes on both sides.
struct MidTurn {
  uint64_t a;
  uint8_t ring_turn;
  uint8_t b;
  uint16_t c;
  uint32_t d;
  uint64_t e;
};
static_assert(RingTurnCarrier<MidTurn>);

MarketEvent make_event(uint64_t i) {
  MarketEvent e{};
  e.exch_ts_ns = static_cast<int64_t>(i);
  e.recv_ts_ns = static_cast<int64_t>(~i);
  e.book.bid_px = static_cast<Fixed>(i * 3);
  e.book.ask_qty = static_cast<Fixed>(i * 5);
  e.book.venue_seq = i * 7;
  e.symbol_id = static_cast<SymbolId>(i & 0xffff);
  e.kind = static_cast<EventKind>(i % 3);
  e.ring_turn = static_cast<uint8_t>(i * 13);  // garbage: the ring must ignore it
  return e;
}
bool event_ok(const MarketEvent& e, uint64_t i) {
  return e.exch_ts_ns == static_cast<int64_t>(i) && e.recv_ts_ns == static_cast<int64_t>(~i) &&
         e.book.bid_px == static_cast<Fixed>(i * 3) && e.book.ask_qty == static_cast<Fixed>(i * 5) &&
         e.book.venue_seq == i * 7 && e.symbol_id == static_cast<SymbolId>(i & 0xffff) &&
         e.kind == static_cast<EventKind>(i % 3);
}

MidTurn make_mid(uint64_t i) {
  MidTurn m{};
  m.a = i;
  m.ring_turn = static_cast<uint8_t>(i * 13);
  m.b = static_cast<uint8_t>(i);
  m.c = static_cast<uint16_t>(i * 3);
  m.d = static_cast<uint32_t>(i * 5);
  m.e = ~i;
  return m;
}
bool mid_ok(const MidTurn& m, uint64_t i) {
  return m.a == i && m.b == static_cast<uint8_t>(i) && m.c == static_cast<uint16_t>(i * 3) &&
         m.d == static_cast<uint32_t>(i * 5) && m.e == ~i;
}

TEST(SpscRing, TurnByteIsOwnedByTheRing) {
  SpscRing<MarketEvent, 4> r;
  MarketEvent out;
  // More than 256 laps, so the 8-bit turn wraps several times.
  for (uint64_t i = 0; i < 4 * 700; ++i) {
    const MarketEvent in = make_event(i);
    ASSERT_TRUE(r.try_push(in));
    ASSERT_TRUE(r.try_pop(out));
    ASSERT_TRUE(event_ok(out, i)) << i;
    EXPECT_EQ(out.ring_turn, 0) << "try_pop hands back ring_turn == 0";
    MarketEvent expect = in;
    expect.ring_turn = 0;
    ASSERT_EQ(std::memcmp(&out, &expect, sizeof out), 0) << "every other byte arrives unchanged";
    ASSERT_FALSE(r.try_pop(out));
    ASSERT_EQ(r.front(), nullptr);
  }
}

TEST(SpscRing, MidStructTurnWrapsAround) {
  SpscRing<MidTurn, 2> r;
  MidTurn out;
  for (uint64_t i = 0; i < 2 * 600; i += 2) {
    ASSERT_TRUE(r.try_push(make_mid(i)));
    ASSERT_TRUE(r.try_push(make_mid(i + 1)));
    ASSERT_FALSE(r.try_push(make_mid(99)));
    ASSERT_TRUE(r.try_pop(out));
    ASSERT_TRUE(mid_ok(out, i));
    ASSERT_NE(r.front(), nullptr);
    ASSERT_TRUE(mid_ok(*r.front(), i + 1));
    r.pop();
    ASSERT_TRUE(r.empty());
  }
}

TEST(SpscRing, FullRingAcceptsAgainAfterOnePop) {
  SpscRing<MarketEvent, 8> r;
  MarketEvent out;
  uint64_t pushed = 0;
  uint64_t popped = 0;
  for (int round = 0; round < 100; ++round) {
    while (r.try_push(make_event(pushed))) ++pushed;
    ASSERT_EQ(r.size(), 8u);
    ASSERT_FALSE(r.empty());
    ASSERT_TRUE(r.try_pop(out));
    ASSERT_TRUE(event_ok(out, popped++));
    ASSERT_EQ(r.size(), 7u);
    ASSERT_TRUE(r.try_push(make_event(pushed++))) << "the producer refreshes its cached tail when it looks full";
    ASSERT_FALSE(r.try_push(make_event(pushed)));
    // Drain a few, as deterministic mode drains between events.
    for (int k = 0; k < round % 9 && r.try_pop(out); ++k) ASSERT_TRUE(event_ok(out, popped++));
  }
  while (r.try_pop(out)) ASSERT_TRUE(event_ok(out, popped++));
  EXPECT_EQ(popped, pushed);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.size(), 0u);
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

// Two threads on a tiny ring: the producer wraps constantly and is usually blocked on a full ring,
// the consumer alternates try_pop with front()/pop(). Both sides check size()/empty() while the
// other runs: size() never exceeds the capacity, and when the consumer sees !empty() the next
// message is already visible (head_ is published after the slot's turn).
template <typename T, std::size_t Cap, typename Make, typename Check>
void stress_small_ring(uint64_t count, Make make, Check check) {
  auto ring = std::make_unique<SpscRing<T, Cap>>();
  uint64_t producer_bad_size = 0;
  std::thread producer([&] {
    for (uint64_t i = 0; i < count; ++i) {
      const T v = make(i);
      while (!ring->try_push(v)) {
        if (ring->size() > Cap) ++producer_bad_size;
        std::this_thread::yield();
      }
      if (ring->size() > Cap) ++producer_bad_size;
    }
  });
  uint64_t expected = 0;
  uint64_t bad = 0;
  uint64_t bad_size = 0;
  uint64_t not_empty_but_nothing = 0;
  T v;
  while (expected < count) {
    if (ring->size() > Cap) ++bad_size;
    const bool seen_not_empty = !ring->empty();
    bool got = false;
    if (expected % 3 == 0) {
      if (const T* f = ring->front()) {
        if (!check(*f, expected)) ++bad;
        ring->pop();
        got = true;
      }
    } else if (ring->try_pop(v)) {
      if (!check(v, expected)) ++bad;
      got = true;
    }
    if (got) {
      ++expected;
    } else {
      if (seen_not_empty) ++not_empty_but_nothing;
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(bad_size, 0u);
  EXPECT_EQ(producer_bad_size, 0u);
  EXPECT_EQ(not_empty_but_nothing, 0u);
  EXPECT_FALSE(ring->try_pop(v)) << "nothing extra arrives";
  EXPECT_TRUE(ring->empty());
}

TEST(SpscRing, StressCapacity2Event) { stress_small_ring<MarketEvent, 2>(200'000, make_event, event_ok); }
TEST(SpscRing, StressCapacity4Event) { stress_small_ring<MarketEvent, 4>(200'000, make_event, event_ok); }
TEST(SpscRing, StressCapacity2MidTurn) { stress_small_ring<MidTurn, 2>(200'000, make_mid, mid_ok); }
TEST(SpscRing, StressCapacity4Uint64) {
  stress_small_ring<uint64_t, 4>(
      200'000, [](uint64_t i) { return i * 0x9E3779B97F4A7C15ull; },
      [](uint64_t v, uint64_t i) { return v == i * 0x9E3779B97F4A7C15ull; });
}

}  // namespace
}  // namespace tp
