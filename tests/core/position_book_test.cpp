#include "core/strategy/position_book.hpp"

#include <gtest/gtest.h>

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

MarketEvent top(SymbolId s, Fixed bid, Fixed ask) {
  return make_book_top(s, BookTop{bid, F(1), ask, F(1), 0}, 0, 0);
}
MarketEvent trade(SymbolId s, Fixed px) { return make_trade(s, Trade{px, F(1), 0, Side::Buy}, 0, 0); }

TEST(PositionBook, OpensIncreasesAndAveragesEntry) {
  PositionBook b(1);
  auto fx = b.apply_fill(0, Side::Buy, F(1), F(100), F(0, 10'000'000));
  EXPECT_TRUE(fx.episode_started);
  b.apply_fill(0, Side::Buy, F(3), F(200), 0);
  EXPECT_EQ(b[0].qty, F(4));
  EXPECT_EQ(b[0].entry, F(175));  // (100*1 + 200*3) / 4
  EXPECT_EQ(b[0].fees, F(0, 10'000'000));
  EXPECT_EQ(b[0].fills, 2u);
  EXPECT_EQ(b[0].max_abs_qty, F(4));
}

TEST(PositionBook, AverageEntryRoundsHalfAwayFromZero) {
  PositionBook b(1);
  b.apply_fill(0, Side::Buy, F(0, 1), F(1), 0);          // 1e-8 @ 1
  b.apply_fill(0, Side::Buy, F(0, 1), F(1, 1), 0);       // 1e-8 @ 1.00000001
  EXPECT_EQ(b[0].entry, F(1, 1)) << "1.000000005 rounds up";
}

TEST(PositionBook, ReductionRealizesAndKeepsEntry) {
  PositionBook b(1);
  b.set_initial(0, F(2), F(100));
  auto fx = b.apply_fill(0, Side::Sell, F(0, 50'000'000), F(110), 0);
  EXPECT_EQ(fx.realized, F(5));  // (110 - 100) * 0.5
  EXPECT_FALSE(fx.episode_ended);
  EXPECT_EQ(b[0].entry, F(100));
  EXPECT_EQ(b[0].qty, F(1, 50'000'000));
  EXPECT_EQ(b[0].winning_reductions, 1u);
  fx = b.apply_fill(0, Side::Sell, F(1, 50'000'000), F(90), 0);
  EXPECT_EQ(fx.realized, -F(15));
  EXPECT_TRUE(fx.episode_ended);
  EXPECT_EQ(b[0].qty, 0);
  EXPECT_EQ(b[0].entry, 0) << "cleared when flat";
  EXPECT_EQ(b[0].realized, -F(10));
  EXPECT_EQ(b[0].losing_reductions, 1u);
}

TEST(PositionBook, ShortRealizesEntryMinusPrice) {
  PositionBook b(1);
  b.set_initial(0, -F(2), F(100));
  auto fx = b.apply_fill(0, Side::Buy, F(1), F(95), 0);
  EXPECT_EQ(fx.realized, F(5));
  EXPECT_EQ(b[0].qty, -F(1));
}

TEST(PositionBook, FlipClosesAndOpensRemainderAtFillPrice) {
  PositionBook b(1);
  b.set_initial(0, F(1), F(100));
  auto fx = b.apply_fill(0, Side::Sell, F(3), F(120), 0);
  EXPECT_EQ(fx.realized, F(20));
  EXPECT_TRUE(fx.episode_ended);
  EXPECT_TRUE(fx.episode_started);
  EXPECT_EQ(b[0].qty, -F(2));
  EXPECT_EQ(b[0].entry, F(120));
  EXPECT_EQ(b[0].max_abs_qty, F(2));
}

TEST(PositionBook, MarksLongAtBidShortAtAskTradeBeforeFirstTop) {
  PositionBook b(2);
  b.set_initial(0, F(1), F(100));
  b.set_initial(1, -F(1), F(100));
  EXPECT_TRUE(b.on_market(trade(0, F(101))));
  EXPECT_EQ(b.mark(0), F(101)) << "before any book top the last trade marks";
  EXPECT_TRUE(b.on_market(top(0, F(102), F(103))));
  EXPECT_EQ(b.mark(0), F(102));
  EXPECT_FALSE(b.on_market(trade(0, F(150)))) << "after a book top trades do not move the mark";
  EXPECT_EQ(b.mark(0), F(102));
  EXPECT_EQ(b.unrealized(0), F(2));
  b.on_market(top(1, F(98), F(99)));
  EXPECT_EQ(b.mark(1), F(99));
  EXPECT_EQ(b.unrealized(1), F(1));  // (99 - 100) * -1
}

TEST(PositionBook, UnrealizedRoundsHalfAwayFromZero) {
  PositionBook b(1);
  b.set_initial(0, F(0, 50'000'000), F(100));        // 0.5 @ 100
  b.on_market(top(0, F(100, 1), F(101)));            // bid 100.00000001
  EXPECT_EQ(b.unrealized(0), 1) << "0.000000005 rounds to 1e-8";
  b.on_market(top(0, F(99, 99'999'999), F(101)));    // bid 99.99999999
  EXPECT_EQ(b.unrealized(0), -1) << "-0.000000005 rounds to -1e-8";
}

}  // namespace
}  // namespace tp
