// OrderBook: sorted levels per side, best in O(1), qty 0 removes, fixed capacity (evict the worst
// or drop a level worse than all held), exact fixed point.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

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


// The capacity rule on a std::map keyed as the book keys it (bids px, asks -px: greatest = best).
LevelChange model_apply(std::map<int64_t, Fixed>& m, std::size_t cap, int64_t k, Fixed q) {
  const auto it = m.find(k);
  if (q == 0) {
    if (it == m.end()) return LevelChange::RemovedAbsent;
    m.erase(it);
    return LevelChange::Removed;
  }
  if (it != m.end()) {
    it->second = q;
    return LevelChange::Changed;
  }
  if (m.size() < cap) {
    m.emplace(k, q);
    return LevelChange::Inserted;
  }
  if (k < m.begin()->first) return LevelChange::DroppedFull;
  m.erase(m.begin());
  m.emplace(k, q);
  return LevelChange::InsertedEvicting;
}

// Every observable of one side against the model: depth, best, every level (in order from the
// touch, then from the worst level back, then at random ranks), qty_at on and next to each level.
template <class Book>
void expect_side_is(const Book& b, Side s, const std::map<int64_t, Fixed>& m, std::mt19937_64& rng) {
  const auto px_of = [s](int64_t k) { return s == Side::Buy ? k : -k; };
  ASSERT_EQ(b.depth(s), m.size());
  std::vector<PriceLevel> want;
  for (auto it = m.rbegin(); it != m.rend(); ++it) want.push_back({px_of(it->first), it->second});
  if (!want.empty()) {
    ASSERT_EQ(b.best(s), want[0]);
  }
  for (std::size_t k = 0; k < want.size(); ++k) ASSERT_EQ(b.level(s, k), want[k]) << "k=" << k;
  for (std::size_t k = want.size(); k-- > 0;) ASSERT_EQ(b.level(s, k), want[k]) << "k=" << k;
  for (std::size_t i = 0; i < want.size() && i < 64; ++i) {
    const std::size_t k = rng() % want.size();
    ASSERT_EQ(b.level(s, k), want[k]) << "k=" << k;
  }
  for (const PriceLevel& l : want) {
    ASSERT_EQ(b.qty_at(s, l.px), l.qty);
    for (const Fixed probe : {l.px - 1, l.px + 1}) {
      if (probe <= 0) continue;
      const auto it = m.find(s == Side::Buy ? probe : -probe);
      ASSERT_EQ(b.qty_at(s, probe), it == m.end() ? 0 : it->second);
    }
  }
}

// Differential test of the block layout against the map model, with eviction and drops: small
// and large capacities, narrow and wide price ranges (so blocks fill, split, merge and empty),
// runs of inserts past the touch and below the worst level, whole-side sweeps, clear().
struct ModelConfig {
  std::size_t cap;
  int64_t prices;  // distinct price ticks used
  int ops;
};

// `make(cap)` builds the book under test; the same random operations drive it and the model.
template <class Book, class Make>
void check_capacity_model(Make make, const std::vector<ModelConfig>& configs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const ModelConfig& c : configs) {
    SCOPED_TRACE("cap " + std::to_string(c.cap) + " prices " + std::to_string(c.prices));
    std::unique_ptr<Book> book = make(c.cap);
    Book& b = *book;
    ASSERT_EQ(b.capacity(), c.cap);
    std::map<int64_t, Fixed> model[2];
    const Fixed base = px(50'000);
    for (int i = 0; i < c.ops; ++i) {
      const int s = static_cast<int>(rng() & 1);
      const Side side = static_cast<Side>(s);
      int64_t tick;
      const unsigned mode = static_cast<unsigned>(rng() % 16);
      if (mode == 0 && !model[s].empty()) {
        // Next to the current best or worst level (touch moves, deep inserts).
        const int64_t edge = (rng() & 1) ? model[s].rbegin()->first : model[s].begin()->first;
        const int64_t px_edge = s == 0 ? edge : -edge;
        tick = (px_edge - base) / 1000 + static_cast<int64_t>(rng() % 5) - 2;
      } else if (mode == 1 && !model[s].empty()) {
        // A present level (change or remove).
        auto it = model[s].begin();
        std::advance(it, static_cast<long>(rng() % model[s].size()));
        tick = ((s == 0 ? it->first : -it->first) - base) / 1000;
      } else if (mode == 2 && !model[s].empty()) {
        // Near the touch, within a few tenths of the price range (a touch that jumps).
        const int64_t best = s == 0 ? model[s].rbegin()->first : -model[s].rbegin()->first;
        const int64_t span = c.prices / 8 + 1;
        tick = (best - base) / 1000 + static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * span + 1)) - span;
      } else {
        tick = static_cast<int64_t>(rng() % static_cast<uint64_t>(c.prices));
      }
      const Fixed p = base + tick * 1000;
      if (p <= 0) continue;
      const Fixed q = (rng() % 5 < 2) ? 0 : static_cast<Fixed>(rng() % 1000 + 1);
      const LevelChange want = model_apply(model[s], c.cap, s == 0 ? p : -p, q);
      ASSERT_EQ(b.apply(side, p, q), want) << "op " << i;
      if (i % 211 == 0 || c.cap <= 64) {
        for (const Side sd : {Side::Buy, Side::Sell}) {
          expect_side_is(b, sd, model[static_cast<int>(sd)], rng);
          if (::testing::Test::HasFatalFailure()) return;
        }
        EXPECT_EQ(b.empty(), model[0].empty() && model[1].empty());
        EXPECT_EQ(b.has_top(), !model[0].empty() && !model[1].empty());
        if (b.has_top()) {
          EXPECT_EQ(b.crossed(), model[0].rbegin()->first >= -model[1].rbegin()->first);
        }
      }
      if (i % 9973 == 9972) {
        // Empty one side by removing every level (worst first or best first), or clear the book.
        if (rng() % 3 == 0) {
          b.clear();
          model[0].clear();
          model[1].clear();
        } else {
          const bool worst_first = rng() & 1;
          std::vector<int64_t> keys;
          for (const auto& [k, q2] : model[s]) keys.push_back(k);
          if (!worst_first) std::reverse(keys.begin(), keys.end());
          for (const int64_t k : keys) ASSERT_EQ(b.apply(side, s == 0 ? k : -k, 0), LevelChange::Removed);
          model[s].clear();
        }
        ASSERT_EQ(b.depth(side), 0u);
      }
    }
    for (const Side sd : {Side::Buy, Side::Sell}) expect_side_is(b, sd, model[static_cast<int>(sd)], rng);
  }
}

const std::vector<ModelConfig> kModelConfigs = {
    {1, 8, 4000},       {2, 16, 4000},       {5, 40, 8000},       {17, 40, 20000},
    {33, 300, 40000},   {64, 128, 40000},    {100, 90, 40000},    {257, 1000, 60000},
    {1000, 800, 60000}, {1000, 5000, 60000}, {3000, 6000, 60000}, {5000, 3000, 60000}};

TEST(OrderBook, MatchesTheCapacityRuleModelOnRandomOperations) {
  check_capacity_model<OrderBook>([](std::size_t cap) { return std::make_unique<OrderBook>(cap); }, kModelConfigs,
                                  2024);
}

// The smallest ladder (16,384 steps) over price ranges many times wider: the window moves up and
// down with the touch, levels go to the sorted store below it and come back, a full side evicts
// from the store or from the ladder, and every read spans both.
TEST(OrderBook, ASmallLadderMovesItsWindowAndKeepsFarLevelsInTheStore) {
  const std::vector<ModelConfig> wide = {{1, 100'000, 4000},      {9, 60'000, 20000},     {64, 50'000, 40000},
                                         {300, 200'000, 60000},   {1000, 40'000, 60000},  {1000, 1'000'000, 60000},
                                         {4000, 120'000, 60000}};
  check_capacity_model<OrderBook>(
      [](std::size_t cap) { return std::make_unique<OrderBook>(cap, OrderBook::kMinLadderSteps); }, wide, 7);
}

// The sorted store on its own is a complete book under the same rule.
TEST(BlockedBook, MatchesTheCapacityRuleModelOnRandomOperations) {
  check_capacity_model<BlockedBook>([](std::size_t cap) { return std::make_unique<BlockedBook>(cap); },
                                    kModelConfigs, 2025);
}

// A snapshot loaded worst level first (every level past the best), then read back both ways, at
// the largest capacity a config allows: the layout holds 100,000 levels a side.
TEST(OrderBook, LoadsAndReadsBackAFullLargeSide) {
  constexpr std::size_t kCap = 100'000;
  OrderBook b(kCap);
  for (std::size_t i = 0; i < kCap; ++i) {
    ASSERT_EQ(b.apply(Side::Buy, px(1) + static_cast<Fixed>(i), static_cast<Fixed>(i + 1)), LevelChange::Inserted);
    ASSERT_EQ(b.apply(Side::Sell, px(3) - static_cast<Fixed>(i), static_cast<Fixed>(i + 1)), LevelChange::Inserted);
  }
  ASSERT_EQ(b.depth(Side::Buy), kCap);
  EXPECT_EQ(b.best_bid(), (PriceLevel{px(1) + static_cast<Fixed>(kCap - 1), static_cast<Fixed>(kCap)}));
  EXPECT_EQ(b.best_ask(), (PriceLevel{px(3) - static_cast<Fixed>(kCap - 1), static_cast<Fixed>(kCap)}));
  for (std::size_t k = kCap; k-- > 0;) ASSERT_EQ(b.level(Side::Buy, k).qty, static_cast<Fixed>(kCap - k));
  EXPECT_EQ(b.apply(Side::Buy, px(1) - 1, 5), LevelChange::DroppedFull);
  EXPECT_EQ(b.apply(Side::Buy, px(2), 5), LevelChange::InsertedEvicting);
  EXPECT_EQ(b.best_bid(), (PriceLevel{px(2), 5}));
  EXPECT_EQ(b.level(Side::Buy, kCap - 1).px, px(1) + 1);
  EXPECT_EQ(b.qty_at(Side::Buy, px(1)), 0);
  // Remove every other level, from the touch down, then the rest from the bottom up.
  for (std::size_t i = 0; i < kCap; i += 2) b.apply(Side::Sell, px(3) - static_cast<Fixed>(i), 0);
  EXPECT_EQ(b.depth(Side::Sell), kCap / 2);
  EXPECT_EQ(b.best_ask().px, px(3) - static_cast<Fixed>(kCap - 1));
  for (std::size_t i = 1; i < kCap; i += 2) {
    ASSERT_EQ(b.apply(Side::Sell, px(3) - static_cast<Fixed>(i), 0), LevelChange::Removed);
  }
  EXPECT_EQ(b.depth(Side::Sell), 0u);
  EXPECT_FALSE(b.has_top());
}

}  // namespace
}  // namespace tp
