// OrderBook: sorted levels per side, best in O(1), qty 0 removes, fixed capacity (evict the worst
// or drop a level worse than all held), exact fixed point.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "core/book/order_book.hpp"

namespace tp {
namespace {

constexpr Fixed px(int64_t whole) { return whole * kScale; }

TEST(OrderBook, LevelsAreSortedFromTheTouchAndQtyZeroRemoves) {
  OrderBook b(8);
  EXPECT_EQ(b.apply(Side::Buy, px(100), 5), LevelChange::Inserted);
  EXPECT_EQ(b.apply(Side::Buy, px(102), 7), LevelChange::Inserted);
  EXPECT_EQ(b.apply(Side::Buy, px(101), 6), LevelChange::Inserted);
  EXPECT_EQ(b.apply(Side::Sell, px(105), 1), LevelChange::Inserted);
  EXPECT_EQ(b.apply(Side::Sell, px(103), 2), LevelChange::Inserted);
  EXPECT_EQ(b.apply(Side::Sell, px(104), 3), LevelChange::Inserted);
  ASSERT_EQ(b.depth(Side::Buy), 3u);
  EXPECT_EQ(b.best_bid(), (PriceLevel{px(102), 7}));
  EXPECT_EQ(b.level(Side::Buy, 1), (PriceLevel{px(101), 6}));
  EXPECT_EQ(b.level(Side::Buy, 2), (PriceLevel{px(100), 5}));
  EXPECT_EQ(b.best_ask(), (PriceLevel{px(103), 2}));
  EXPECT_EQ(b.level(Side::Sell, 2), (PriceLevel{px(105), 1}));
  EXPECT_FALSE(b.crossed());

  EXPECT_EQ(b.apply(Side::Buy, px(102), 9), LevelChange::Changed);
  EXPECT_EQ(b.best_bid().qty, 9);
  EXPECT_EQ(b.apply(Side::Buy, px(102), 0), LevelChange::Removed);
  EXPECT_EQ(b.best_bid(), (PriceLevel{px(101), 6}));
  EXPECT_EQ(b.apply(Side::Buy, px(99), 0), LevelChange::RemovedAbsent);
  EXPECT_EQ(b.qty_at(Side::Sell, px(104)), 3);
  EXPECT_EQ(b.qty_at(Side::Sell, px(101)), 0);

  EXPECT_EQ(b.apply(Side::Buy, px(103), 1), LevelChange::Inserted);
  EXPECT_TRUE(b.crossed());
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.has_top());
}

TEST(OrderBook, AFullSideEvictsItsWorstLevelForABetterOneAndDropsAWorseOne) {
  OrderBook b(3);
  for (int64_t p : {100, 101, 102}) b.apply(Side::Buy, px(p), 1);
  EXPECT_EQ(b.apply(Side::Buy, px(99), 1), LevelChange::DroppedFull);
  EXPECT_EQ(b.apply(Side::Buy, px(103), 4), LevelChange::InsertedEvicting);
  ASSERT_EQ(b.depth(Side::Buy), 3u);
  EXPECT_EQ(b.best_bid(), (PriceLevel{px(103), 4}));
  EXPECT_EQ(b.level(Side::Buy, 2), (PriceLevel{px(101), 1}));  // 100 was the worst
  EXPECT_EQ(b.apply(Side::Buy, px(101) + 1, 2), LevelChange::InsertedEvicting);  // between: 101 leaves
  EXPECT_EQ(b.level(Side::Buy, 2), (PriceLevel{px(101) + 1, 2}));
  EXPECT_EQ(b.apply(Side::Buy, px(102), 8), LevelChange::Changed);  // present: no eviction

  for (int64_t p : {200, 201, 202}) b.apply(Side::Sell, px(p), 1);
  EXPECT_EQ(b.apply(Side::Sell, px(203), 1), LevelChange::DroppedFull);
  EXPECT_EQ(b.apply(Side::Sell, px(150), 1), LevelChange::InsertedEvicting);
  EXPECT_EQ(b.best_ask().px, px(150));
  EXPECT_EQ(b.level(Side::Sell, 2).px, px(201));
}

TEST(OrderBook, PricesAreExactFixedPoint) {
  OrderBook b(4);
  b.apply(Side::Sell, 6'183'764'000'000, 154'698'000);  // 61837.64000000 x 1.54698000
  b.apply(Side::Sell, 6'183'764'000'001, 1);            // one unit (1e-8) above
  EXPECT_EQ(b.best_ask().px, 6'183'764'000'000);
  EXPECT_EQ(b.level(Side::Sell, 1).px, 6'183'764'000'001);
}

// Against std::map on random operations: the same levels, in the same order, whenever the book
// never had to evict (capacity above the number of live prices).
TEST(OrderBook, MatchesAMapBookOnRandomUpdates) {
  std::mt19937_64 rng(7);
  OrderBook b(256);
  std::map<Fixed, Fixed> model[2];
  for (int i = 0; i < 200'000; ++i) {
    const int s = static_cast<int>(rng() & 1);
    const Fixed p = px(1000) + static_cast<Fixed>(rng() % 200) * 1'000'000;
    const Fixed q = (rng() % 3 == 0) ? 0 : static_cast<Fixed>(rng() % 1000 + 1);
    b.apply(static_cast<Side>(s), p, q);
    if (q == 0) {
      model[s].erase(p);
    } else {
      model[s][p] = q;
    }
    if (i % 997 != 0) continue;
    for (int side = 0; side < 2; ++side) {
      ASSERT_EQ(b.depth(static_cast<Side>(side)), model[side].size());
      std::size_t k = 0;
      if (side == 0) {
        for (auto it = model[0].rbegin(); it != model[0].rend(); ++it, ++k) {
          ASSERT_EQ(b.level(Side::Buy, k), (PriceLevel{it->first, it->second}));
        }
      } else {
        for (auto it = model[1].begin(); it != model[1].end(); ++it, ++k) {
          ASSERT_EQ(b.level(Side::Sell, k), (PriceLevel{it->first, it->second}));
        }
      }
    }
  }
}

}  // namespace
}  // namespace tp
